-- raw.resources as received (the calendar year to date).
with

resources as (
    select * from {{ source('raw', 'resources') }}
),

renamed as (
    select
        {{ raw_row_columns() }},
        category,
        detail,
        amount,
        unit,
        has_alerts
    from resources
)

select * from renamed
