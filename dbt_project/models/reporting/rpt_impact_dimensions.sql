-- The « Dimensions MIS PE » sheet of the consolidated workbooks (and the Synthèse's
-- département table): mart_impact_dimensions with each scope's label, the département first,
-- then the associations by name, each scope's dimensions in their order, and why a figure has
-- no value, as the workbooks say it.
with

dimensions as (
    select * from {{ ref('mart_impact_dimensions') }}
    where period_grain = 'month'
),

associations as (
    select * from {{ ref('dim_association') }}
),

reasons as (
    select * from {{ ref('no_value_reasons') }}
),

labelled as (
    select
        dimensions.*,
        {{ scope_label(
            'dimensions.scope',
            'coalesce(associations.association_name, dimensions.association_code)'
        ) }} as scope_label,
        mispe_reasons.label_fr as mispe_no_value_label,
        mentoring_reasons.label_fr as mentoring_no_value_label
    from dimensions
    left join associations
        on associations.association_code = dimensions.association_code
    left join reasons as mispe_reasons
        on mispe_reasons.reason_code = dimensions.mispe_no_value_reason
    left join reasons as mentoring_reasons
        on mentoring_reasons.reason_code = dimensions.mentoring_no_value_reason
)

select
    *,
    row_number() over (
        partition by period
        order by scope = 'association', scope_label, association_code, dimension_sort_order
    )::integer as row_order
from labelled
