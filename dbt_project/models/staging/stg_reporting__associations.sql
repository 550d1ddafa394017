-- raw.associations: the registry the département keeps (ASE_IMPACT_REGISTRY), as loaded.
with

associations as (
    select * from {{ source('raw', 'associations') }}
),

renamed as (
    select
        association_code,
        association_name,
        territory_code,
        expected_from,
        expected_until,
        does_mentoring,
        does_residential_care
    from associations
)

select * from renamed
