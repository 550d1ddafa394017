-- Each pair of a window once per scope and once per breakdown cell it falls in (the total,
-- its sex, its age band, …): the aggregates are then computed the same way for every cell.
-- Pair indicators apply to mentoring associations (the catalogue's population): the pairs of
-- an association without mentoring are left out.
-- Incremental by window (macros/incremental.sql): only the windows covering a changed month.
-- depends_on: {{ ref('int_month_inputs') }}
-- depends_on: {{ ref('int_period_windows') }}
{%- set pair_breakdowns = [
    'sex', 'age_band', 'school_level_group', 'placement_type', 'territory', 'status',
    'objective', 'mode', 'meeting_frequency', 'end_reason', 'end_reason_kind',
] %}

with

pairs as (
    select * from {{ ref('int_pairs_snapshotted') }} as pairs
    {{- where_window_rebuilt('pairs') }}
),

end_questionnaires as (
    select * from {{ ref('int_end_questionnaires_deduplicated') }}
),

scoped as (
    select
        pairs.*,
        end_questionnaires.pair_id is not null as has_end_questionnaire,
        scopes.scope,
        {{ scope_association_code('pairs.association_code') }} as scope_association_code
    from pairs
    left join end_questionnaires
        on end_questionnaires.association_code = pairs.association_code
        and end_questionnaires.pair_id = pairs.pair_id
    {{ cross_join_scopes() }}
    where {{ in_population('pairs.association_code', 'mentoring') }}
),

cells as (
    select
        period_grain,
        period,
        scope,
        scope_association_code as association_code,
        association_code as pair_association_code,
        pair_id,
        youth_key,
        mentor_key,
        referring_structure_key,
        status_code,
        renewal_code,
        mode_code,
        mentor_trained_code,
        objective_met_code,
        application_date,
        match_date,
        end_date,
        sessions_planned,
        sessions_held,
        are_sessions_counted,
        is_active,
        is_ended,
        is_matched_in_period,
        has_end_questionnaire,
        {{ breakdown_cells(pair_breakdowns) }},
        -- The dbt invocation that computed the window's rows.
        '{{ invocation_id }}' as dbt_invocation_id
    from scoped
)

select * from cells
