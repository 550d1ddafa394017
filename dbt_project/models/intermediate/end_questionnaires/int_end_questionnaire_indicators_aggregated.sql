-- Mentoring impact indicators: distinct youth answering « Oui » to an item of the
-- end-of-mentoring questionnaire answered in the period.
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
),

scoped as (
    select
        end_questionnaires.answered_period as period,
        scopes.scope,
        {{ scope_association_code('end_questionnaires.association_code') }} as association_code,
        end_questionnaires.* exclude (association_code)
    from end_questionnaires
    {{ cross_join_scopes() }}
)

{%- for indicator_code, question in indicator_questions.items() %}
{{ 'union all' if not loop.first }}
select {{ indicator_columns(
    indicator_code, 'count(distinct youth_key)', cell_count='count(distinct youth_key)',
    breakdown="'total'", breakdown_value='null'
) }}
from scoped
where {{ question }}_code = 'yes'
group by all
{%- endfor %}
