-- raw.end_questionnaires as received (the tab is cumulative over the year).
-- depends_on: {{ ref('reporting_columns') }}
with

end_questionnaires as (
    select * from {{ source('raw', 'end_questionnaires') }}
),

renamed as (
    select
        {{ raw_row_columns() }},
        pair_id,
        answered_on,
        {%- for question in end_questionnaire_fields() %}
        {{ question }},
        {%- endfor %}
        has_alerts
    from end_questionnaires
)

select * from renamed
