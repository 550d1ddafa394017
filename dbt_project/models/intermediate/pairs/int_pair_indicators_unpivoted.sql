-- The pair indicators in the long format, every breakdown cell; the catalogue decides later
-- which breakdowns of each indicator are published.
-- Incremental by window (macros/incremental.sql): only the windows covering a changed month.
-- depends_on: {{ ref('int_month_inputs') }}
-- depends_on: {{ ref('int_period_windows') }}
{%- set counts = [
    'youth_accompanied', 'youth_new', 'youth_waiting', 'pairs_declared', 'pairs_followed',
    'pairs_active',
    'mentors_active',
    'mentors_trained', 'structures_mobilized', 'pairs_closed', 'pairs_abandoned',
    'pairs_objective_met',
] %}
with

aggregated as (
    select * from {{ ref('int_pairs_aggregated') }} as aggregated
    {{ where_window_rebuilt('aggregated') }}
),

unpivoted as (

{%- for indicator_code in counts %}
select {{ indicator_columns(indicator_code, indicator_code, 'mentoring', cell_count=indicator_code) }}
from aggregated
union all
{%- endfor %}
select {{ indicator_columns(
    'remote_pairs_share', 'remote_pairs_share', 'mentoring',
    numerator='pairs_remote', denominator='pairs_active', cell_count='pairs_active'
) }}
from aggregated
union all
select {{ indicator_columns(
    'avg_matching_delay_days', 'avg_matching_delay_days', 'mentoring',
    numerator='matching_delay_days_total', denominator='pairs_matched', cell_count='pairs_matched'
) }}
from aggregated
union all
select {{ indicator_columns(
    'avg_pair_duration_days', 'avg_pair_duration_days', 'mentoring',
    numerator='duration_days_total', denominator='pairs_ended', cell_count='pairs_ended'
) }}
from aggregated
union all
select {{ indicator_columns(
    'attendance_rate', 'attendance_rate', 'mentoring',
    numerator='sessions_held', denominator='sessions_planned', cell_count='pairs_with_sessions'
) }}
from aggregated
union all
select {{ indicator_columns(
    'objective_met_rate', 'objective_met_rate', 'mentoring',
    numerator='pairs_objective_met', denominator='pairs_objective_assessed',
    cell_count='pairs_objective_assessed'
) }}
from aggregated
union all
select {{ indicator_columns(
    'abandonment_rate', 'abandonment_rate', 'mentoring',
    numerator='pairs_abandoned', denominator='pairs_closed + pairs_abandoned',
    cell_count='pairs_closed + pairs_abandoned'
) }}
from aggregated
union all
select {{ indicator_columns(
    'questionnaire_response_rate', 'questionnaire_response_rate', 'mentoring',
    numerator='end_questionnaires_received', denominator='pairs_ended', cell_count='pairs_ended'
) }}
from aggregated
)

-- The dbt invocation that computed the window's rows.
select *, '{{ invocation_id }}' as dbt_invocation_id
from unpivoted
