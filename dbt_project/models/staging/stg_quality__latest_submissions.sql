-- quality.latest_submissions: one row per (period, association), its latest version received
-- and the version in force, as ingestion states them once; when the latest version is in
-- quarantine (the publication gate refused its figures), why and since when.
with

latest_submissions as (
    select * from {{ source('quality', 'latest_submissions') }}
),

renamed as (
    select
        {{ submission_columns() }},
        version_in_force,
        sha256_in_force,
        received_at_in_force,
        quarantine_reason_fr,
        quarantined_at
    from latest_submissions
)

select * from renamed
