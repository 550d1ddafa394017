-- The pair indicators of each (period, scope, association, breakdown cell), counts first,
-- then the rates and means derived from them (NULL when their denominator is zero).
-- A cell is the total or one value of one breakdown (its sex, its age band, …): each is a
-- grouping set over the window's scoped pairs (int_pairs_scoped: mentoring associations only),
-- so no pair is listed once per cell it falls in.
-- Incremental by window (macros/incremental.sql): only the windows covering a changed month.
-- depends_on: {{ ref('int_month_inputs') }}
-- depends_on: {{ ref('int_period_windows') }}
{%- set pair_breakdowns = var('pair_breakdowns') %}
{%- set cell_keys = 'period_grain, period, scope, association_code' %}
{#- The distinct youth and mentors counted in each cell, and among which pairs. #}
{%- set youth_counts = {
    'youth_accompanied': 'is_active',
    'youth_new': "is_active and renewal_code = 'new' and is_matched_in_period",
    'youth_waiting': "status_code = 'waiting'",
} %}
{%- set mentor_counts = {
    'mentors_active': 'is_active',
    'mentors_trained': "is_active and mentor_trained_code = 'yes'",
} %}

with

-- Not materialized: the four aggregations below each scan the table with the window filter,
-- cheaper on DuckDB than copying its rows once for the four (L's first build: this query
-- 16–22 s against 30–35 s; docs/performance.md).
scoped as not materialized (
    select * from {{ ref('int_pairs_scoped') }} as scoped
    {{- where_window_rebuilt('scoped') }}
),

-- Distinct counts (macros/distinct_counts.sql): youth and mentors on one pair of their
-- window and scope are counted as rows here, those on several in the CTEs below.
counted as (
    select
        {{ cell_keys }},
        {{ grouping_set_breakdown(pair_breakdowns) }},
        -- Every pair of the window's files, whatever its status.
        count(*) as pairs_declared,
        -- Pairs of the window: active in it, or waiting for a mentor in their latest state.
        count(*) filter (where is_active or status_code = 'waiting') as pairs_followed,
        {%- for name, condition in youth_counts.items() %}
        count(case when {{ condition }} and not is_youth_repeated then youth_key end)
            as {{ name }}_once,
        {%- endfor %}
        count(*) filter (where is_active) as pairs_active,
        {%- for name, condition in mentor_counts.items() %}
        count(case when {{ condition }} and not is_mentor_repeated then mentor_key end)
            as {{ name }}_once,
        {%- endfor %}
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
),

repeated_youth_counts as (
    {{ count_repeated_keys(
        'scoped', cell_keys, pair_breakdowns, 'youth_key', 'is_youth_repeated', youth_counts
    ) }}
),

repeated_mentor_counts as (
    {{ count_repeated_keys(
        'scoped', cell_keys, pair_breakdowns, 'mentor_key', 'is_mentor_repeated', mentor_counts
    ) }}
),

-- A few referring structures per association, each on many pairs: all counted per cell.
structure_counts as (
    {{ count_repeated_keys(
        'scoped', cell_keys, pair_breakdowns, 'referring_structure_key', 'true',
        {'structures_mobilized': 'is_active'}
    ) }}
),

totals as (
    select
        counted.period_grain,
        counted.period,
        counted.scope,
        counted.association_code,
        counted.breakdown,
        counted.breakdown_value,
        counted.pairs_declared,
        counted.pairs_followed,
        {%- for name in youth_counts %}
        counted.{{ name }}_once + coalesce(repeated_youth_counts.{{ name }}, 0) as {{ name }},
        {%- endfor %}
        counted.pairs_active,
        {%- for name in mentor_counts %}
        counted.{{ name }}_once + coalesce(repeated_mentor_counts.{{ name }}, 0) as {{ name }},
        {%- endfor %}
        coalesce(structure_counts.structures_mobilized, 0) as structures_mobilized,
        counted.pairs_remote,
        counted.pairs_matched,
        counted.matching_delay_days_total,
        counted.pairs_ended,
        counted.duration_days_total,
        counted.pairs_with_sessions,
        counted.sessions_held,
        counted.sessions_planned,
        counted.pairs_closed,
        counted.pairs_abandoned,
        counted.pairs_objective_met,
        counted.pairs_objective_assessed,
        counted.end_questionnaires_received
    from counted
    {{ join_same_cell('repeated_youth_counts', 'counted') }}
    {{ join_same_cell('repeated_mentor_counts', 'counted') }}
    {{ join_same_cell('structure_counts', 'counted') }}
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
from totals
