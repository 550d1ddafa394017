-- raw.activities as received (the file's month).
with

activities as (
    select * from {{ source('raw', 'activities') }}
),

renamed as (
    select
        {{ raw_row_columns() }},
        activity_date,
        activity_type,
        title,
        participants,
        has_alerts
    from activities
)

select * from renamed
