-- The « Dimensions MIS PE » sheet of the consolidated workbooks (and the Synthèse's
-- département table): mart_impact_dimensions with each scope's label, the département first,
-- then the associations by name, each scope's dimensions in their order.
with

dimensions as (
    select * from {{ ref('mart_impact_dimensions') }}
    where period_grain = 'month'
),

associations as (
    select * from {{ ref('dim_association') }}
),

labelled as (
    select
        dimensions.*,
        {{ scope_label(
            'dimensions.scope',
            'coalesce(associations.association_name, dimensions.association_code)'
        ) }} as scope_label
    from dimensions
    left join associations
        on associations.association_code = dimensions.association_code
)

select
    *,
    row_number() over (
        partition by period
        order by scope = 'association', scope_label, association_code, dimension_sort_order
    )::integer as row_order
from labelled
