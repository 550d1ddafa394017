-- One row per (period, scope, association, MIS PE dimension): the MIS PE measures and the
-- end-of-mentoring impact indicators of that dimension, with their disclosure flags.
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
        ) as is_score_change_suppressed
    from indicators
    where indicator_code like 'mispe\_%' escape '\'
    group by all
),

-- The end-of-mentoring questionnaire's items, each read through its MIS PE dimension.
mentoring as (
    select
        indicators.period,
        indicators.scope,
        indicators.association_code,
        indicators.mis_pe_dimension,
        count(*) as mentoring_indicators,
        sum(indicators.value) as mentoring_positive_answers,
        bool_or(indicators.is_suppressed) as is_mentoring_suppressed
    from indicators
    inner join catalog
        on catalog.indicator_code = indicators.indicator_code
    where catalog.value_chain_level = 'impact'
        and not catalog.is_per_dimension
        and catalog.mis_pe_dimension is not null
    group by all
)

select
    scopes.period,
    scopes.scope,
    scopes.association_code,
    dimensions.dimension_code as mis_pe_dimension,
    dimensions.label_fr as dimension_label_fr,
    dimensions.sort_order as dimension_sort_order,
    coalesce(mispe.respondents, 0)::integer as respondents,
    mispe.mean_score,
    mispe.favourable_share,
    coalesce(mispe.is_suppressed, false) as is_suppressed,
    mispe.score_change,
    coalesce(mispe.youth_paired, 0)::integer as youth_paired,
    coalesce(mispe.is_score_change_suppressed, false) as is_score_change_suppressed,
    coalesce(mentoring.mentoring_indicators, 0)::integer as mentoring_indicators,
    coalesce(mentoring.mentoring_positive_answers, 0)::integer as mentoring_positive_answers,
    coalesce(mentoring.is_mentoring_suppressed, false) as is_mentoring_suppressed
from scopes
cross join dimensions
left join mispe
    on mispe.period = scopes.period
    and mispe.scope = scopes.scope
    and mispe.association_code is not distinct from scopes.association_code
    and mispe.mis_pe_dimension = dimensions.dimension_code
left join mentoring
    on mentoring.period = scopes.period
    and mentoring.scope = scopes.scope
    and mentoring.association_code is not distinct from scopes.association_code
    and mentoring.mis_pe_dimension = dimensions.dimension_code
order by
    scopes.period,
    scopes.scope,
    scopes.association_code nulls first,
    dimensions.sort_order
