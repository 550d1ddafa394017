-- Each MIS PE questionnaire as received, with its wave's code and order and the month it was
-- answered in.
with

mispe_questionnaires as (
    select * from {{ ref('stg_reporting__mispe_questionnaires') }}
),

coded as (
    select
        mispe_questionnaires.period,
        mispe_questionnaires.association_code,
        mispe_questionnaires.file_sha256,
        mispe_questionnaires.excel_row,
        mispe_questionnaires.youth_key,
        mispe_questionnaires.age_at_answer,
        mispe_questionnaires.wave,
        waves.value_code as wave_code,
        waves.sort_order as wave_order,
        mispe_questionnaires.answered_on,
        date_trunc('month', mispe_questionnaires.answered_on)::date as answered_period,
        {%- for item in mispe_item_fields() %}
        mispe_questionnaires.{{ item }},
        {%- endfor %}
        mispe_questionnaires.is_out_of_mispe_scope,
        mispe_questionnaires.has_alerts
    from mispe_questionnaires
    {{ join_list_value('wave', 'mispe_questionnaires.wave', 'waves') }}
)

select * from coded
