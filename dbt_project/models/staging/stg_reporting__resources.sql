-- raw.resources as received (the calendar year to date).
with

resources as (
    select * from {{ source('raw', 'resources') }}
),

renamed as (
    select
        period,
        association_code,
        file_sha256,
        excel_row,
        category,
        detail,
        amount,
        unit,
        has_alerts
    from resources
)

select * from renamed
