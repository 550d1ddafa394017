-- raw.mispe_questionnaires as received (cumulative); its items (reporting_columns) in 1–4,
-- NULL = no answer. The birth month stays in raw: the age at answer is enough.
-- depends_on: {{ ref('reporting_columns') }}
with

mispe_questionnaires as (
    select * from {{ source('raw', 'mispe_questionnaires') }}
),

renamed as (
    select
        {{ raw_row_columns() }},
        youth_key,
        age_at_answer,
        wave,
        answered_on,
        {%- for item in mispe_item_fields() %}
        {{ item }},
        {%- endfor %}
        is_out_of_mispe_scope,
        has_alerts
    from mispe_questionnaires
)

select * from renamed
