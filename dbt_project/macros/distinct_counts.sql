{#-
    Distinct counts per breakdown cell without a distinct set per cell and grouping set: those
    took 14 GB on L, far beyond DuckDB's memory limit (profiles.yml), which spills plain
    aggregates but not distinct sets. A key on one row of its window (in a scope) counts once
    in each cell of that row: counted as rows. Only the keys on several rows are counted per
    cell, each once per cell it falls in (count_repeated_keys).
-#}

{#- Per window, association and key of column in relation: its rows in the association, and
    its rows across the département (the associations' summed). One plain aggregate, joined
    back on four equalities (join_rows_per_key), so that no engine can join on the window
    alone and compare every row with every repeated key (PostgreSQL did: minutes on M). -#}
{% macro rows_per_key(relation, column) -%}
    select
        period_grain,
        period,
        association_code,
        {{ column }} as key,
        count(*) as rows_in_association,
        sum(count(*)) over (partition by period_grain, period, {{ column }}) as rows_in_departement
    from {{ relation }}
    where {{ column }} is not null
    group by period_grain, period, association_code, {{ column }}
{%- endmacro %}

{#- Joins to rows_alias's rows the rows_per_key of their window, association and key. -#}
{% macro join_rows_per_key(counts_alias, rows_alias, key_column) -%}
    left join {{ counts_alias }}
        on {{ counts_alias }}.period_grain = {{ rows_alias }}.period_grain
        and {{ counts_alias }}.period = {{ rows_alias }}.period
        and {{ counts_alias }}.association_code = {{ rows_alias }}.association_code
        and {{ counts_alias }}.key = {{ rows_alias }}.{{ key_column }}
{%- endmacro %}

{#- Whether a row's key (joined by join_rows_per_key) is on other rows of its window in the
    row's scope (cross_join_scopes); false for an empty key. -#}
{% macro is_key_repeated(counts_alias) -%}
    coalesce(
        case when scopes.scope = 'association' then {{ counts_alias }}.rows_in_association
            else {{ counts_alias }}.rows_in_departement end > 1,
        false
    )
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
