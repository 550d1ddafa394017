-- The « Révisions » sheet of an approved month's revised workbooks: each figure that changed
-- between two approved versions (or since the latest, pending approval), old → new, with the
-- labels shown and the files that caused it; the département first, then the associations.
with

revisions as (
    select * from {{ ref('int_indicator_revisions') }}
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

dimensions as (
    select * from {{ ref('mispe_dimensions') }}
),

associations as (
    select * from {{ ref('dim_association') }}
),

periods as (
    select * from {{ ref('dim_period') }}
),

grains as (
    select * from {{ ref('period_grains') }}
),

reasons as (
    select * from {{ ref('no_value_reasons') }}
),

labelled as (
    select
        revisions.*,
        {{ scope_label(
            'revisions.scope',
            'coalesce(associations.association_name, revisions.association_code)'
        ) }} as scope_label,
        grains.label_fr || ' · ' || coalesce(periods.label_fr, {{ month_text('revisions.period') }})
            as period_label,
        catalog.label_fr as indicator_label_fr,
        catalog.unit,
        dimensions.label_fr as dimension_label_fr,
        case when revisions.breakdown = 'total' then 'Total' else revisions.breakdown_value end
            as breakdown_label,
        old_reasons.label_fr as old_no_value_label,
        new_reasons.label_fr as new_no_value_label,
        catalog.sort_order as catalog_order,
        grains.sort_order as grain_order
    from revisions
    inner join catalog
        on catalog.indicator_code = revisions.indicator_code
    inner join grains
        on grains.grain_code = revisions.period_grain
    left join periods
        on periods.period_grain = revisions.period_grain
        and periods.period = revisions.period
    left join dimensions
        on dimensions.dimension_code = revisions.mis_pe_dimension
    left join associations
        on associations.association_code = revisions.association_code
    left join reasons as old_reasons
        on old_reasons.reason_code = revisions.old_no_value_reason
    left join reasons as new_reasons
        on new_reasons.reason_code = revisions.new_no_value_reason
)

select
    *,
    row_number() over (
        partition by approved_month, from_version, to_version
        order by scope = 'association', scope_label, association_code, grain_order,
            catalog_order, dimension_label_fr nulls first, breakdown <> 'total', breakdown,
            breakdown_value
    )::integer as row_order
from labelled
