with

indicators as (
    select * from {{ ref('fct_indicators') }}
    where breakdown = 'total'
),

catalog as (
    select * from {{ ref('mart_indicator_catalog') }}
)

select
    indicators.period_grain,
    indicators.period,
    indicators.scope,
    indicators.association_code,
    catalog.value_chain_level,
    catalog.value_chain_level_label_fr,
    catalog.value_chain_rank,
    indicators.indicator_code,
    indicators.mis_pe_dimension,
    catalog.label_fr,
    catalog.unit,
    indicators.value,
    indicators.is_suppressed,
    indicators.no_value_reason,
    indicators.is_secondary_suppressed
from indicators
inner join catalog
    on catalog.indicator_code = indicators.indicator_code
order by
    indicators.period_grain,
    indicators.period,
    indicators.scope,
    indicators.association_code nulls first,
    catalog.value_chain_rank,
    indicators.indicator_code,
    indicators.mis_pe_dimension
