-- Published as marts.indicator_catalog (the model's name differs from the seed's).
{{ config(alias='indicator_catalog') }}

with

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

levels as (
    select * from {{ ref('value_chain_levels') }}
),

dimensions as (
    select * from {{ ref('mispe_dimensions') }}
),

populations as (
    select * from {{ ref('indicator_populations') }}
)

select
    catalog.indicator_code,
    catalog.label_fr,
    catalog.definition_fr,
    catalog.unit,
    catalog.value_chain_level,
    levels.label_fr as value_chain_level_label_fr,
    levels.rank as value_chain_rank,
    catalog.mis_pe_dimension,
    dimensions.label_fr as mis_pe_dimension_label_fr,
    catalog.is_per_dimension,
    catalog.breakdowns,
    catalog.population,
    populations.label_fr as population_label_fr,
    catalog.basis
from catalog
inner join levels
    on levels.level_code = catalog.value_chain_level
left join dimensions
    on dimensions.dimension_code = catalog.mis_pe_dimension
inner join populations
    on populations.population_code = catalog.population
order by levels.rank, catalog.indicator_code
