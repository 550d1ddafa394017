-- raw.activities as received (the file's month).
with

activities as (
    select * from {{ source('raw', 'activities') }}
),

renamed as (
    select
        period,
        association_code,
        file_sha256,
        excel_row,
        activity_date,
        activity_type,
        title,
        participants,
        has_alerts
    from activities
)

select * from renamed
