with

submissions as (
    select * from {{ source('quality', 'submissions') }}
),

renamed as (
    select
        {{ submission_columns() }}
    from submissions
)

select * from renamed
