-- Every category of every breakdown taken from the référentiel, in display order, so that
-- published breakdowns show each category even when it counts nobody.
with

list_values as (
    select * from {{ ref('ref_list_values') }}
),

age_bands as (
    select * from {{ ref('ref_age_bands') }}
),

territories as (
    select * from {{ ref('territories') }}
),

categories as (
    -- Breakdowns named after their list.
    select list_code as breakdown, label_fr as breakdown_value, sort_order
    from list_values
    where list_code in (
        'sex', 'placement_type', 'objective', 'mode', 'meeting_frequency', 'end_reason', 'wave'
    )
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
