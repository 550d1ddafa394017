-- The pairs of each window once per scope: for their association, and for the département
-- (association_code empty). Only mentoring associations' pairs (the catalogue's population).
-- Each row carries its breakdown values (a column per breakdown, its name and `_value`) and
-- whether its youth and its mentor are on other rows of the window in the same scope: those
-- are counted distinct per cell (int_pairs_aggregated), the others counted as rows.
-- A table of its own, not a CTE of int_pairs_aggregated: read there four times, DuckDB kept
-- it in memory beside the grouping sets' hash tables, beyond its memory limit on L.
-- Incremental by window (macros/incremental.sql): only the windows covering a changed month.
-- depends_on: {{ ref('int_month_inputs') }}
-- depends_on: {{ ref('int_period_windows') }}

with

window_pairs as (
    select * from {{ ref('int_pairs_snapshotted') }} as pairs
    {{- where_window_rebuilt('pairs') }}
),

pairs as (
    select * from window_pairs
    where {{ in_population('window_pairs.association_code', 'mentoring') }}
),

youth_rows as ({{ rows_per_key('pairs', 'youth_key') }}),

mentor_rows as ({{ rows_per_key('pairs', 'mentor_key') }}),

end_questionnaires as (
    select * from {{ ref('int_end_questionnaires_deduplicated') }}
)

select
    pairs.period_grain,
    pairs.period,
    scopes.scope,
    {{ scope_association_code('pairs.association_code') }} as association_code,
    pairs.youth_key,
    {{ is_key_repeated('youth_rows') }} as is_youth_repeated,
    pairs.mentor_key,
    {{ is_key_repeated('mentor_rows') }} as is_mentor_repeated,
    pairs.referring_structure_key,
    pairs.status_code,
    pairs.renewal_code,
    pairs.mode_code,
    pairs.mentor_trained_code,
    pairs.objective_met_code,
    pairs.application_date,
    pairs.match_date,
    pairs.end_date,
    pairs.sessions_planned,
    pairs.sessions_held,
    pairs.are_sessions_counted,
    pairs.is_active,
    pairs.is_ended,
    pairs.is_matched_in_period,
    end_questionnaires.pair_id is not null as has_end_questionnaire
    {%- for breakdown in var('pair_breakdowns') %},
    {{ breakdown_value_of('pairs.' ~ breakdown) }} as {{ breakdown }}_value
    {%- endfor %},
    -- The dbt invocation that computed the window's rows.
    '{{ invocation_id }}' as dbt_invocation_id
from pairs
left join end_questionnaires
    on end_questionnaires.association_code = pairs.association_code
    and end_questionnaires.pair_id = pairs.pair_id
{{ join_rows_per_key('youth_rows', 'pairs', 'youth_key') }}
{{ join_rows_per_key('mentor_rows', 'pairs', 'mentor_key') }}
{{ cross_join_scopes() }}
