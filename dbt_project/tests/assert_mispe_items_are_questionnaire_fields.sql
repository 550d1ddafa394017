-- The MIS PE items the seed mispe_items gives a dimension are exactly the questionnaire's
-- answer fields in the seed reporting_columns (which ingestion reads and the models list).
with

items as (
    select item_code from {{ ref('mispe_items') }}
),

answer_fields as (
    select field
    from {{ ref('reporting_columns') }}
    where sheet_code = 'mispe_questionnaires'
        and list_code = 'mispe_answer'
)

select items.item_code, answer_fields.field
from items
full outer join answer_fields
    on answer_fields.field = items.item_code
where items.item_code is null
    or answer_fields.field is null
