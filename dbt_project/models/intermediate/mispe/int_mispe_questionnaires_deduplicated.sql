-- The MIS PE tab is cumulative, keyed by (youth, wave): the latest file of the association wins.
with

mispe_questionnaires as (
    select * from {{ ref('int_mispe_questionnaires_coded') }}
),

latest as (
    select *
    from (
        select *, row_number() over (
            partition by association_code, youth_key, wave_code
            order by period desc, answered_on desc, excel_row desc
        ) as recency
        from mispe_questionnaires
    ) as ranked
    where recency = 1
)

select
    association_code,
    youth_key,
    wave,
    wave_code,
    wave_order,
    period as file_period,
    answered_on,
    answered_period,
    age_at_answer,
    is_out_of_mispe_scope
    {%- for item in mispe_item_fields() %},
    {{ item }}
    {%- endfor %}
from latest
