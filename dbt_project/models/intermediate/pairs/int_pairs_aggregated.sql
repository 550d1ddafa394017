-- The pair indicators of each (period, scope, association, breakdown cell), counts first,
-- then the rates and means derived from them (NULL when their denominator is zero).
-- A cell is the total or one value of one breakdown (its sex, its age band, …): each is a
-- grouping set over the window's pairs, so no pair is listed once per cell it falls in.
-- Pair indicators apply to mentoring associations (the catalogue's population): the pairs of
-- an association without mentoring are left out.
-- Incremental by window (macros/incremental.sql): only the windows covering a changed month.
-- depends_on: {{ ref('int_month_inputs') }}
-- depends_on: {{ ref('int_period_windows') }}
-- On one DuckDB thread: on two, L's distinct counts ran out of DuckDB's memory limit
-- (macros/portability.sql).
{{ config(pre_hook="{{ engine_threads(1) }}", post_hook="{{ engine_threads() }}") }}
{%- set pair_breakdowns = var('pair_breakdowns', [
    'sex', 'age_band', 'school_level_group', 'placement_type', 'territory', 'status',
    'objective', 'mode', 'meeting_frequency', 'end_reason', 'end_reason_kind',
]) %}
{%- set cell_keys = 'period_grain, period, scope, association_code' %}

with

window_pairs as (
    select * from {{ ref('int_pairs_snapshotted') }} as pairs
    {{- where_window_rebuilt('pairs') }}
),

-- Counted distinct per cell as numbers: a set of 64-character keys per cell and grouping
-- set would not fit DuckDB's memory limit (profiles.yml) on M. Numbered before the scopes
-- are joined, so each pair's keys are numbered once.
youth_numbers as ({{ value_numbers('window_pairs', 'youth_key') }}),

mentor_numbers as ({{ value_numbers('window_pairs', 'mentor_key') }}),

referring_structure_numbers as ({{ value_numbers('window_pairs', 'referring_structure_key') }}),

pairs as (
    select
        window_pairs.*,
        youth_numbers.number as youth_number,
        mentor_numbers.number as mentor_number,
        referring_structure_numbers.number as referring_structure_number
    from window_pairs
    left join youth_numbers on youth_numbers.value = window_pairs.youth_key
    left join mentor_numbers on mentor_numbers.value = window_pairs.mentor_key
    left join referring_structure_numbers
        on referring_structure_numbers.value = window_pairs.referring_structure_key
),

end_questionnaires as (
    select * from {{ ref('int_end_questionnaires_deduplicated') }}
),

scoped as (
    select
        pairs.period_grain,
        pairs.period,
        scopes.scope,
        {{ scope_association_code('pairs.association_code') }} as association_code,
        pairs.youth_number,
        pairs.mentor_number,
        pairs.referring_structure_number,
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
        {%- for breakdown in pair_breakdowns %},
        {{ breakdown_value_of('pairs.' ~ breakdown) }} as {{ breakdown }}_value
        {%- endfor %}
    from pairs
    left join end_questionnaires
        on end_questionnaires.association_code = pairs.association_code
        and end_questionnaires.pair_id = pairs.pair_id
    {{ cross_join_scopes() }}
    where {{ in_population('pairs.association_code', 'mentoring') }}
),

counted as (
    select
        period_grain,
        period,
        scope,
        association_code,
        {{ grouping_set_breakdown(pair_breakdowns) }},
        -- Every pair of the window's files, whatever its status.
        count(*) as pairs_declared,
        -- Pairs of the window: active in it, or waiting for a mentor in their latest state.
        count(*) filter (where is_active or status_code = 'waiting') as pairs_followed,
        -- Distinct counts filter with CASE, not FILTER: DuckDB runs a filtered distinct
        -- aggregate as its own pass per grouping set (M's build: 11.4 s against 7.3 s).
        count(distinct case when is_active then youth_number end) as youth_accompanied,
        count(distinct case
            when is_active and renewal_code = 'new' and is_matched_in_period then youth_number end
        ) as youth_new,
        count(distinct case when status_code = 'waiting' then youth_number end) as youth_waiting,
        count(*) filter (where is_active) as pairs_active,
        count(distinct case when is_active then mentor_number end) as mentors_active,
        count(distinct case
            when is_active and mentor_trained_code = 'yes' then mentor_number end
        ) as mentors_trained,
        count(distinct case when is_active then referring_structure_number end)
            as structures_mobilized,
        count(*) filter (where is_active and mode_code = 'remote') as pairs_remote,
        count(*) filter (where is_matched_in_period) as pairs_matched,
        coalesce(
            sum(match_date - application_date) filter (where is_matched_in_period), 0
        ) as matching_delay_days_total,
        count(*) filter (where is_ended) as pairs_ended,
        coalesce(sum(end_date - match_date) filter (where is_ended), 0) as duration_days_total,
        -- Attendance counts only pairs whose planned and held sessions are both known, and
        -- held no more than planned: more held than planned is queried at intake (DON-050,
        -- « à vérifier ») and left out until corrected, so the rate stays within 0–100 %.
        count(*) filter (where is_active and are_sessions_counted) as pairs_with_sessions,
        coalesce(sum(sessions_held) filter (
            where is_active and are_sessions_counted
        ), 0) as sessions_held,
        coalesce(sum(sessions_planned) filter (
            where is_active and are_sessions_counted
        ), 0) as sessions_planned,
        count(*) filter (where is_ended and status_code = 'closed') as pairs_closed,
        count(*) filter (where is_ended and status_code = 'abandoned') as pairs_abandoned,
        count(*) filter (where is_ended and objective_met_code = 'yes') as pairs_objective_met,
        count(*) filter (
            where is_ended and objective_met_code in ('yes', 'partly', 'no')
        ) as pairs_objective_assessed,
        count(*) filter (where is_ended and has_end_questionnaire) as end_questionnaires_received
    from scoped
    group by {{ breakdown_grouping_sets(cell_keys, pair_breakdowns) }}
)

select
    *,
    {{ percent('pairs_remote', 'pairs_active') }} as remote_pairs_share,
    {{ ratio('matching_delay_days_total', 'pairs_matched') }} as avg_matching_delay_days,
    {{ ratio('duration_days_total', 'pairs_ended') }} as avg_pair_duration_days,
    {{ percent('sessions_held', 'sessions_planned') }} as attendance_rate,
    {{ percent('pairs_objective_met', 'pairs_objective_assessed') }} as objective_met_rate,
    {{ percent('pairs_abandoned', 'pairs_closed + pairs_abandoned') }} as abandonment_rate,
    {{ percent('end_questionnaires_received', 'pairs_ended') }} as questionnaire_response_rate,
    -- The dbt invocation that computed the window's rows.
    '{{ invocation_id }}' as dbt_invocation_id
from counted
