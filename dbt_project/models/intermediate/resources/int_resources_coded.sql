-- Each resource row as received, with its category's code; the detail trimmed (it is a
-- breakdown of subsidies_eur).
with

resources as (
    select * from {{ ref('stg_reporting__resources') }}
),

coded as (
    select
        resources.period,
        resources.association_code,
        resources.file_sha256,
        resources.excel_row,
        resources.category,
        categories.value_code as category_code,
        trim(resources.detail) as detail,
        resources.amount,
        resources.unit,
        resources.has_alerts
    from resources
    {{ join_list_value('resource_category', 'resources.category', 'categories') }}
)

select * from coded
