-- The « Chaîne de valeur » sheet of the consolidated workbooks: every scope's totals along
-- the value chain, with the labels shown (scope, level, indicator, MIS PE dimension), the
-- département first, then the associations by name; within a scope by level, the catalogue's
-- order and the dimensions' order.
with

chain as (
    select * from {{ ref('mart_value_chain') }}
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
        coalesce(dimensions.sort_order, 0) as dimension_order
    from chain
    inner join catalog
        on catalog.indicator_code = chain.indicator_code
    left join associations
        on associations.association_code = chain.association_code
    left join dimensions
        on dimensions.dimension_code = chain.mis_pe_dimension
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
    row_number() over (
        partition by period
        order by
            scope = 'association', scope_label, association_code,
            value_chain_rank, catalog_order, dimension_order
    )::integer as row_order
from labelled
