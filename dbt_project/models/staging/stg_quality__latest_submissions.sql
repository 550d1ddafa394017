-- quality.latest_submissions: one row per (period, association), its latest version received
-- and the version in force, as ingestion states them once.
with

latest_submissions as (
    select * from {{ source('quality', 'latest_submissions') }}
),

renamed as (
    select
        {{ submission_columns() }},
        version_in_force,
        sha256_in_force,
        received_at_in_force
    from latest_submissions
)

select * from renamed
