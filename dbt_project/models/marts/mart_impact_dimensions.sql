-- One row per (grain, period, scope, association, MIS PE dimension): the MIS PE measures and
-- the end-of-mentoring impact indicators of that dimension, with their disclosure flags.
-- mentoring_positive_answers is the distinct youth with at least one « Oui » in the dimension
-- (mentoring_youth_positive), never a sum over the items.
with

indicators as (
    select * from {{ ref('fct_indicators') }}
    where breakdown = 'total'
),

catalog as (
    select * from {{ ref('indicator_catalog') }}
),

dimensions as (
    select * from {{ ref('mispe_dimensions') }}
),

scopes as (
    select * from {{ ref('int_indicator_scopes_listed') }}
),

mispe as (
    select
        period_grain,
        period,
        scope,
        association_code,
        mis_pe_dimension,
        max(value) filter (where indicator_code = 'mispe_respondents') as respondents,
        max(value) filter (where indicator_code = 'mispe_score') as mean_score,
        max(value) filter (where indicator_code = 'mispe_favourable_share') as favourable_share,
        bool_or(is_suppressed) filter (
            where indicator_code in ('mispe_respondents', 'mispe_score', 'mispe_favourable_share')
        ) as is_suppressed,
        max(value) filter (where indicator_code = 'mispe_score_change') as score_change,
        max(denominator) filter (where indicator_code = 'mispe_score_change') as youth_paired,
        bool_or(is_suppressed) filter (
            where indicator_code = 'mispe_score_change'
        ) as is_score_change_suppressed,
        max(no_value_reason) filter (where indicator_code = 'mispe_respondents')
            as mispe_no_value_reason
    from indicators
    where indicator_code like 'mispe\_%' escape '\'
    group by period_grain, period, scope, association_code, mis_pe_dimension
),

-- The end-of-mentoring questionnaire's items, each read through its MIS PE dimension, and
-- the distinct youth with at least one « Oui » among them.
mentoring_items as (
    select
        indicators.period_grain,
        indicators.period,
        indicators.scope,
        indicators.association_code,
        indicators.mis_pe_dimension,
        count(*) as mentoring_indicators
    from indicators
    inner join catalog
        on catalog.indicator_code = indicators.indicator_code
    where catalog.value_chain_level = 'impact'
        and not catalog.is_per_dimension
        and catalog.mis_pe_dimension is not null
    group by
        indicators.period_grain,
        indicators.period,
        indicators.scope,
        indicators.association_code,
        indicators.mis_pe_dimension
),

mentoring as (
    select
        positive.period_grain,
        positive.period,
        positive.scope,
        positive.association_code,
        positive.mis_pe_dimension,
        coalesce(mentoring_items.mentoring_indicators, 0) as mentoring_indicators,
        positive.value as mentoring_positive_answers,
        positive.is_suppressed as is_mentoring_suppressed,
        positive.no_value_reason as mentoring_no_value_reason
    from indicators as positive
    left join mentoring_items
        on mentoring_items.period_grain = positive.period_grain
        and mentoring_items.period = positive.period
        and mentoring_items.scope = positive.scope
        and {{ same_or_both_null('mentoring_items', 'positive', 'association_code') }}
        and mentoring_items.mis_pe_dimension = positive.mis_pe_dimension
    where positive.indicator_code = 'mentoring_youth_positive'
)

select
    scopes.period_grain,
    scopes.period,
    scopes.scope,
    scopes.association_code,
    dimensions.dimension_code as mis_pe_dimension,
    dimensions.label_fr as dimension_label_fr,
    dimensions.sort_order as dimension_sort_order,
    -- NULL only when MIS PE does not apply (mispe_no_value_reason says why).
    mispe.respondents::integer as respondents,
    mispe.mean_score,
    mispe.favourable_share,
    coalesce(mispe.is_suppressed, false) as is_suppressed,
    mispe.score_change,
    case when mispe.mispe_no_value_reason is null
        then coalesce(mispe.youth_paired, 0) end::integer as youth_paired,
    coalesce(mispe.is_score_change_suppressed, false) as is_score_change_suppressed,
    coalesce(mentoring.mentoring_indicators, 0)::integer as mentoring_indicators,
    mentoring.mentoring_positive_answers::integer as mentoring_positive_answers,
    coalesce(mentoring.is_mentoring_suppressed, false) as is_mentoring_suppressed,
    mispe.mispe_no_value_reason,
    mentoring.mentoring_no_value_reason
from scopes
cross join dimensions
left join mispe
    on mispe.period_grain = scopes.period_grain
    and mispe.period = scopes.period
    and mispe.scope = scopes.scope
    and {{ same_or_both_null('mispe', 'scopes', 'association_code') }}
    and mispe.mis_pe_dimension = dimensions.dimension_code
left join mentoring
    on mentoring.period_grain = scopes.period_grain
    and mentoring.period = scopes.period
    and mentoring.scope = scopes.scope
    and {{ same_or_both_null('mentoring', 'scopes', 'association_code') }}
    and mentoring.mis_pe_dimension = dimensions.dimension_code
order by
    scopes.period_grain,
    scopes.period,
    scopes.scope,
    scopes.association_code nulls first,
    dimensions.sort_order
