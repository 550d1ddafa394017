-- The questionnaire tab is cumulative: the latest file that holds a pair's questionnaire wins.
-- The youth comes from the Données row of the same file (the contract requires it there).
with

end_questionnaires as (
    select * from {{ ref('int_end_questionnaires_coded') }}
),

pairs as (
    select * from {{ ref('stg_reporting__pairs') }}
),

latest as (
    select *
    from (
        select *, row_number() over (
            partition by association_code, pair_id
            order by period desc, excel_row desc
        ) as recency
        from end_questionnaires
    ) as ranked
    where recency = 1
)

select
    latest.association_code,
    latest.pair_id,
    pairs.youth_key,
    latest.period as file_period,
    latest.answered_on,
    latest.answered_period
    {%- for question in end_questionnaire_fields() %},
    latest.{{ question }}_code
    {%- endfor %}
from latest
left join pairs
    on pairs.period = latest.period
    and pairs.association_code = latest.association_code
    and pairs.pair_id = latest.pair_id
