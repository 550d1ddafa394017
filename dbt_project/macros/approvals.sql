{#-
    Approved months live in the schema `approvals`, written by `ase-impact approve`
    (ase_impact/warehouse/approvals.py), never by a build: a table of it exists only once a
    month was approved. approved_relation(name) is that table, or none.
-#}
{% macro approved_relation(name) -%}
    {%- if execute -%}
        {{ return(adapter.get_relation(database=target.database, schema='approvals', identifier=name)) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{%- endmacro %}

{#-
    The columns of a frozen copy, each cast to its mart's type: a column the mart gained after
    the approval (a new release) reads NULL in the older versions.
-#}
{% macro approved_columns(relation, columns) -%}
    {%- set present = [] -%}
    {%- if relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.append(column.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for name, data_type in columns -%}
        {%- if name in present -%}{{ name }}::{{ data_type }}{%- else -%}null::{{ data_type }}{%- endif %} as {{ name }}
        {{- ', ' if not loop.last }}
    {% endfor -%}
{%- endmacro %}

{#- fct_indicators' columns and types, as its contract states them. -#}
{% macro fct_indicator_columns() -%}
    {{ return([
        ('period_grain', 'varchar'), ('period', 'date'), ('scope', 'varchar'),
        ('association_code', 'varchar'), ('indicator_code', 'varchar'),
        ('mis_pe_dimension', 'varchar'), ('breakdown', 'varchar'), ('breakdown_value', 'varchar'),
        ('value', 'double precision'), ('numerator', 'double precision'), ('denominator', 'double precision'),
        ('is_suppressed', 'boolean'), ('no_value_reason', 'varchar'),
        ('is_secondary_suppressed', 'boolean'),
    ]) }}
{%- endmacro %}
