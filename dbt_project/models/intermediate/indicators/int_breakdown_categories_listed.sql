-- Every category of every breakdown taken from the référentiel, so that published breakdowns
-- show each category even when it counts nobody. sort_order orders the cells of fct_indicators
-- and breaks ties in disclosure control (territories alphabetically); display_order is the
-- order the référentiel lists them in (territories as the département's seed lists them).
with

list_values as (
    select * from {{ ref('ref_list_values') }}
),

catalog_breakdowns as (
    select distinct unnest(string_to_array(breakdowns, '|')) as breakdown
    from {{ ref('indicator_catalog') }}
    where coalesce(breakdowns, '') <> ''
),

age_bands as (
    select * from {{ ref('ref_age_bands') }}
),

territories as (
    select * from {{ ref('territories') }}
),

categories as (
    -- Breakdowns named after their list (sex, status, wave, …).
    select
        list_code as breakdown, label_fr as breakdown_value, sort_order, sort_order as display_order
    from list_values
    where list_code in (select breakdown from catalog_breakdowns)
    union all
    select 'school_level_group', category_label_fr, min(sort_order), min(sort_order)
    from list_values
    where list_code = 'school_level'
    group by category_label_fr
    union all
    select 'end_reason_kind', category_label_fr, min(sort_order), min(sort_order)
    from list_values
    where list_code = 'end_reason'
    group by category_label_fr
    union all
    select 'age_band', label_fr, sort_order, sort_order
    from age_bands
    union all
    select 'territory', label_fr, row_number() over (order by label_fr), sort_order
    from territories
)

select * from categories
