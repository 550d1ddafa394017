-- Each end-of-mentoring questionnaire as received, with every answer mapped to its code
-- (yes, no, dont_know) and the month it was answered in.
-- depends_on: {{ ref('ref_list_values') }}
{%- set questions = end_questionnaire_fields() %}

with

end_questionnaires as (
    select * from {{ ref('stg_reporting__end_questionnaires') }}
),

coded as (
    select
        end_questionnaires.period,
        end_questionnaires.association_code,
        end_questionnaires.file_sha256,
        end_questionnaires.excel_row,
        end_questionnaires.pair_id,
        end_questionnaires.answered_on,
        date_trunc('month', end_questionnaires.answered_on)::date as answered_period,
        {%- for question in questions %}
        end_questionnaires.{{ question }},
        {{ question }}_answers.value_code as {{ question }}_code,
        {%- endfor %}
        end_questionnaires.has_alerts
    from end_questionnaires
    {%- for question in questions %}
    {{ join_list_value('questionnaire_answer', 'end_questionnaires.' ~ question, question ~ '_answers') }}
    {%- endfor %}
)

select * from coded
