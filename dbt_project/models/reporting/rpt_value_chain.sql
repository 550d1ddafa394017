-- The « Chaîne de valeur » sheet of the consolidated workbooks: every scope's totals of the
-- month along the value chain, beside their year to date (« Cumul de l'année »), with the
-- labels shown (scope, level, indicator, MIS PE dimension, why a figure has no value), the
-- département first, then the associations by name; within a scope by level, the
-- catalogue's order and the dimensions' order.
with

chain as (
    select * from {{ ref('mart_value_chain') }}
    where period_grain = 'month'
),

year_to_date as (
    select * from {{ ref('mart_value_chain') }}
    where period_grain = 'year_to_date'
),

reasons as (
    select * from {{ ref('no_value_reasons') }}
),

associations as (
    select * from {{ ref('dim_association') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

dimensions as (
    select * from {{ ref('mispe_dimensions') }}
),

labelled as (
    select
        chain.*,
        {{ scope_label('chain.scope', 'coalesce(associations.association_name, chain.association_code)') }}
            as scope_label,
        dimensions.label_fr as dimension_label_fr,
        catalog.sort_order as catalog_order,
        coalesce(dimensions.sort_order, 0) as dimension_order,
        reasons.label_fr as no_value_label,
        year_to_date.value as ytd_value,
        coalesce(year_to_date.is_suppressed, false) as ytd_is_suppressed,
        coalesce(year_to_date.is_secondary_suppressed, false) as ytd_is_secondary_suppressed,
        ytd_reasons.label_fr as ytd_no_value_label
    from chain
    inner join catalog
        on catalog.indicator_code = chain.indicator_code
    left join associations
        on associations.association_code = chain.association_code
    left join dimensions
        on dimensions.dimension_code = chain.mis_pe_dimension
    left join reasons
        on reasons.reason_code = chain.no_value_reason
    left join year_to_date
        on year_to_date.period = chain.period
        and year_to_date.scope = chain.scope
        and {{ same_or_both_null('year_to_date', 'chain', 'association_code') }}
        and year_to_date.indicator_code = chain.indicator_code
        and {{ same_or_both_null('year_to_date', 'chain', 'mis_pe_dimension') }}
    left join reasons as ytd_reasons
        on ytd_reasons.reason_code = year_to_date.no_value_reason
)

select
    period,
    scope,
    association_code,
    scope_label,
    value_chain_level,
    value_chain_level_label_fr,
    value_chain_rank,
    indicator_code,
    label_fr,
    mis_pe_dimension,
    dimension_label_fr,
    unit,
    value,
    is_suppressed,
    is_secondary_suppressed,
    no_value_label,
    ytd_value,
    ytd_is_suppressed,
    ytd_is_secondary_suppressed,
    ytd_no_value_label,
    row_number() over (
        partition by period
        order by
            scope = 'association', scope_label, association_code,
            value_chain_rank, catalog_order, dimension_order
    )::integer as row_order
from labelled
