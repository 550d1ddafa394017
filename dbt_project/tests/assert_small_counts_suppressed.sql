-- Primary rule, read on the published mart: a count of people or pairs from 1 to
-- min_cell − 1 is always masked (resources and activities describe the association itself;
-- the activity types' seed category is the indicator counting them).
{{ config(meta={'dagster': {'ref': {'name': 'fct_indicators'}}}) }}  -- shown on the mart in Dagster
select
    indicators.period_grain,
    indicators.period,
    indicators.scope,
    indicators.association_code,
    indicators.indicator_code,
    indicators.mis_pe_dimension,
    indicators.breakdown,
    indicators.breakdown_value,
    indicators.value
from {{ ref('fct_indicators') }} as indicators
inner join {{ ref('indicator_catalog') }} as catalog
    on catalog.indicator_code = indicators.indicator_code
where catalog.unit = 'count'
    and catalog.value_chain_level in ('realisations', 'resultats', 'impact')
    and catalog.indicator_code not in (
        select category_code
        from {{ ref('ref_list_values') }}
        where list_code = 'activity_type'
    )
    and indicators.value between 1 and {{ var('min_cell') | int }} - 1
    and not indicators.is_suppressed
