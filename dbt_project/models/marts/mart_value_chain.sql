with

indicators as (
    select * from {{ ref('fct_indicators') }}
    where breakdown = 'total'
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

levels as (
    select * from {{ ref('value_chain_levels') }}
)

select
    indicators.period,
    indicators.scope,
    indicators.association_code,
    catalog.value_chain_level,
    levels.label_fr as value_chain_level_label_fr,
    levels.rank as value_chain_rank,
    indicators.indicator_code,
    indicators.mis_pe_dimension,
    catalog.label_fr,
    catalog.unit,
    indicators.value,
    indicators.is_suppressed
from indicators
inner join catalog
    on catalog.indicator_code = indicators.indicator_code
inner join levels
    on levels.level_code = catalog.value_chain_level
order by
    indicators.period,
    indicators.scope,
    indicators.association_code nulls first,
    levels.rank,
    indicators.indicator_code,
    indicators.mis_pe_dimension
