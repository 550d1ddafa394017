-- Mentoring impact indicators: distinct youth answering « Oui » to an item of the
-- end-of-mentoring questionnaire answered in the window (a youth counts once per window,
-- whatever month the answer came in); and, per MIS PE dimension, distinct youth answering
-- « Oui » to at least one item of the dimension (the catalogue gives each item's indicator
-- its dimension), so a youth is never counted twice in a dimension. End-of-mentoring
-- indicators apply to mentoring associations.
-- Incremental by window (macros/incremental.sql): only the windows covering a changed month,
-- where a month changes when its files or the questionnaires answered in it do.
-- depends_on: {{ ref('int_month_inputs') }}
{%- set indicator_questions = {
    'youth_regained_confidence': 'q_confidence',
    'youth_better_grades': 'q_better_grades',
    'youth_found_internship': 'q_internship',
    'youth_more_at_ease_orally': 'q_oral',
    'youth_created_bonds': 'q_bonds',
    'youth_someone_to_count_on': 'q_someone',
    'youth_discoveries': 'q_discoveries',
} %}

with

end_questionnaires as (
    select * from {{ ref('int_end_questionnaires_deduplicated') }}
    where {{ in_population('association_code', 'mentoring') }}
),

windows as (
    select * from {{ ref('int_period_windows') }} as windows
    {{- where_window_rebuilt('windows') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

-- One row per youth and item answered « Oui », with the item's indicator: listed before the
-- windows and scopes multiply the rows, and with only the columns counted.
answers as (
    {%- for indicator_code, question in indicator_questions.items() %}
    {{ 'union all' if not loop.first }}
    select association_code, youth_key, answered_period, '{{ indicator_code }}' as indicator_code
    from end_questionnaires
    where {{ question }}_code = 'yes'
    {%- endfor %}
),

positive_answers as (
    select
        windows.period_grain,
        windows.period,
        scopes.scope,
        {{ scope_association_code('answers.association_code') }} as association_code,
        answers.youth_key,
        answers.indicator_code
    from answers
    inner join windows
        on answers.answered_period between windows.window_start and windows.window_end
    {{ cross_join_scopes() }}
),

by_item as (
    {%- for indicator_code, question in indicator_questions.items() %}
    {{ 'union all' if not loop.first }}
    select {{ indicator_columns(
        indicator_code, 'count(distinct youth_key)', 'mentoring',
        cell_count='count(distinct youth_key)', breakdown="'total'", breakdown_value='null'
    ) }}
    from positive_answers
    where indicator_code = '{{ indicator_code }}'
    {{ indicator_group_by(breakdown="'total'", breakdown_value='null') }}
    {%- endfor %}
),

by_dimension as (
    select {{ indicator_columns(
        'mentoring_youth_positive', 'count(distinct youth_key)', 'mentoring',
        cell_count='count(distinct youth_key)', mis_pe_dimension='catalog.mis_pe_dimension',
        breakdown="'total'", breakdown_value='null'
    ) }}
    from positive_answers
    inner join catalog
        on catalog.indicator_code = positive_answers.indicator_code
    {{ indicator_group_by(
        mis_pe_dimension='catalog.mis_pe_dimension', breakdown="'total'", breakdown_value='null'
    ) }}
)

select
    *,
    -- The dbt invocation that computed the window's rows.
    '{{ invocation_id }}' as dbt_invocation_id
from (
    select * from by_item
    union all
    select * from by_dimension
) as indicators
