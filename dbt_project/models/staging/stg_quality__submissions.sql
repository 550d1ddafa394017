with

submissions as (
    select * from {{ source('quality', 'submissions') }}
),

renamed as (
    select
        period,
        association_code,
        association_name,
        file_name,
        sha256,
        received_at,
        version,
        template_version,
        rows_received,
        rows_accepted,
        rows_rejected,
        rows_with_alerts,
        status,
        message_fr
    from submissions
)

select * from renamed
