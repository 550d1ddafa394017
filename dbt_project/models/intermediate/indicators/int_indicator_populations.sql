-- Which associations each population of indicators covers (the seed indicator_populations:
-- all, mentoring, residential care), from the registry's flags. An association that sent a
-- file without being registered has no flags: it counts in every population (its figures
-- are computed rather than silently dropped). The catalogue states each indicator's
-- population; at département scope an indicator is computed over its population's rows only,
-- elsewhere it is NULL, « non applicable ».
with

populations as (
    select * from {{ ref('indicator_populations') }}
),

registered as (
    select * from {{ ref('int_associations_registered') }}
),

reports as (
    select distinct association_code from {{ ref('int_reports_accepted') }}
),

associations as (
    select
        coalesce(registered.association_code, reports.association_code) as association_code,
        registered.does_mentoring,
        registered.does_residential_care
    from registered
    full outer join reports
        on reports.association_code = registered.association_code
)

select
    populations.population_code,
    associations.association_code
from populations
cross join associations
where case populations.registry_flag
    when 'does_mentoring' then coalesce(associations.does_mentoring, true)
    when 'does_residential_care' then coalesce(associations.does_residential_care, true)
    else true
end
