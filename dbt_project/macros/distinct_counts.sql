{#-
    Distinct counts per breakdown cell without a distinct set per cell and grouping set: those
    took 14 GB on L, far beyond DuckDB's memory limit (profiles.yml), which spills plain
    aggregates but not distinct sets. A key on one row of its window (in a scope) counts once
    in each cell of that row: counted as rows. Only the keys on several rows are counted per
    cell, each once per cell it falls in (count_repeated_keys).
-#}

{#- The keys of column on more than one row of relation within one window: per association
    and across the département (macros/scopes.sql). -#}
{% macro keys_on_several_rows(relation, column) -%}
    select
        period_grain,
        period,
        {{ scope_of_grouping('association_code') }} as scope,
        association_code,
        {{ column }} as key
    from {{ relation }}
    where {{ column }} is not null
    group by grouping sets (
        (period_grain, period, association_code, {{ column }}),
        (period_grain, period, {{ column }})
    )
    having count(*) > 1
{%- endmacro %}

{#- Joins to rows_alias's rows, each read once per scope (cross_join_scopes), the
    keys_on_several_rows of their window and scope in keys_alias that are theirs. -#}
{% macro join_keys_on_several_rows(keys_alias, rows_alias, key_column) -%}
    left join {{ keys_alias }}
        on {{ keys_alias }}.period_grain = {{ rows_alias }}.period_grain
        and {{ keys_alias }}.period = {{ rows_alias }}.period
        and {{ keys_alias }}.scope = scopes.scope
        and {{ keys_alias }}.key = {{ rows_alias }}.{{ key_column }}
        and {{ keys_alias }}.association_code
            is not distinct from {{ scope_association_code(rows_alias ~ '.association_code') }}
{%- endmacro %}

{#-
    Per cell of rows (grouped by keys and breakdowns), the number of distinct non-empty
    key_column among the rows meeting each of counts' conditions ({name: condition}), over the
    rows selected by rows_condition (the keys on several rows): each key once per cell it
    falls in, then counted, with plain aggregates.
-#}
{% macro count_repeated_keys(rows, keys, breakdowns, key_column, rows_condition, counts) -%}
    select
        {{ keys }},
        breakdown,
        breakdown_value
        {%- for name in counts %},
        count(*) filter (where is_{{ name }}) as {{ name }}
        {%- endfor %}
    from (
        select
            {{ keys }},
            {{ grouping_set_breakdown(breakdowns) }}
            {%- for name, condition in counts.items() %},
            bool_or({{ condition }}) as is_{{ name }}
            {%- endfor %}
        from {{ rows }}
        where {{ key_column }} is not null and {{ rows_condition }}
        group by {{ breakdown_grouping_sets(keys ~ ', ' ~ key_column, breakdowns) }}
    ) as key_cells
    group by {{ keys }}, breakdown, breakdown_value
{%- endmacro %}
