-- Every category of every breakdown taken from the référentiel, in display order, so that
-- published breakdowns show each category even when it counts nobody.
with

list_values as (
    select * from {{ ref('ref_list_values') }}
),

catalog_breakdowns as (
    select distinct unnest(string_split(breakdowns, '|')) as breakdown
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
    select list_code as breakdown, label_fr as breakdown_value, sort_order
    from list_values
    where list_code in (select breakdown from catalog_breakdowns)
    union all
    select 'school_level_group', category_label_fr, min(sort_order)
    from list_values
    where list_code = 'school_level'
    group by all
    union all
    select 'end_reason_kind', category_label_fr, min(sort_order)
    from list_values
    where list_code = 'end_reason'
    group by all
    union all
    select 'age_band', label_fr, sort_order
    from age_bands
    union all
    select 'territory', label_fr, row_number() over (order by label_fr)
    from territories
)

select * from categories
