package builtins

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// jsonObject is freeswitch.JSON(), mod_lua's JSON object: encode and
// decode as mod_lua's (cJSON: compact text unless
// return_unformatted_json(False), its number format, its empty table rule), and execute / execute2, the switch's JSON api
// (switch_json_api_execute) through the `json` api command. The predeclared
// json module is the Starlark way; this object is for ported scripts.
type jsonObject struct {
	env         *env
	emptyObject bool // encode_empty_table_as_object, true by default
	// unformatted: return_unformatted_json. mod_lua's constructor leaves
	// it uninitialized; on the switch it reads as true (compact text), so
	// that is the default here.
	unformatted bool
	frozen      bool
}

var _ starlark.HasAttrs = (*jsonObject)(nil)

func (e *env) newJSON(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs); err != nil {
		return nil, err
	}
	return &jsonObject{env: e, emptyObject: true, unformatted: true}, nil
}

func (j *jsonObject) String() string        { return "<JSON>" }
func (j *jsonObject) Type() string          { return "JSON" }
func (j *jsonObject) Freeze()               { j.frozen = true }
func (j *jsonObject) Truth() starlark.Bool  { return starlark.True }
func (j *jsonObject) Hash() (uint32, error) { return 0, errors.New("unhashable type: JSON") }

// jsonMethods are mod_lua's JSON methods.
var jsonMethods = methods[*jsonObject]{
	"encode":   (*jsonObject).encode,
	"decode":   (*jsonObject).decode,
	"execute":  (*jsonObject).execute,
	"execute2": (*jsonObject).execute2,
	"encode_empty_table_as_object": func(j *jsonObject, _ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return j.setFlag(&j.emptyObject, fn, args, kwargs)
	},
	"return_unformatted_json": func(j *jsonObject, _ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return j.setFlag(&j.unformatted, fn, args, kwargs)
	},
}

// Attr returns the method called name (jsonMethods).
func (j *jsonObject) Attr(name string) (starlark.Value, error) {
	return jsonMethods.attr(j, "JSON", name)
}

// AttrNames lists the methods of jsonMethods.
func (j *jsonObject) AttrNames() []string { return jsonMethods.names() }

// setFlag sets one of the two options (*p, a field of j) to the method's
// one argument; None.
func (j *jsonObject) setFlag(p *bool, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v bool
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "flag", &v); err != nil {
		return nil, err
	}
	if j.frozen {
		return nil, fmt.Errorf("%s: the JSON object is frozen (made while its module loaded)", fn.Name())
	}
	*p = v
	return starlark.None, nil
}

// cjson is a cJSON value: nil (null), bool, float64, string, []cjson
// (array) or *cjsonObject.
type cjson = any

// cjsonObject keeps the members in order, as cJSON does.
type cjsonObject struct {
	keys []string
	vals []cjson
}

// toCJSON is mod_lua's LuaTable2cJSON for a Starlark value: a dict is an
// object (an array when its first key is 1, as a Lua sequence), a list or
// tuple an array; an empty one is an object or an array as
// encode_empty_table_as_object says; None is null; values of other types
// are left out.
func (j *jsonObject) toCJSON(v starlark.Value, depth int) (cjson, bool, error) {
	if depth > 100 {
		return nil, false, errors.New("nested too deep")
	}
	switch v := v.(type) {
	case starlark.NoneType:
		return nil, true, nil
	case starlark.Bool:
		return bool(v), true, nil
	case starlark.Int:
		f, _ := starlark.AsFloat(v)
		return f, true, nil
	case starlark.Float:
		return float64(v), true, nil
	case starlark.String:
		return string(v), true, nil
	case *starlark.Dict:
		items := v.Items()
		if len(items) == 0 {
			return j.empty(), true, nil
		}
		if k, ok := items[0][0].(starlark.Int); ok && k.Sign() > 0 && k.String() == "1" {
			var arr []cjson
			for _, kv := range items {
				if x, ok, err := j.toCJSON(kv[1], depth+1); err != nil {
					return nil, false, err
				} else if ok {
					arr = append(arr, x)
				}
			}
			return arr, true, nil
		}
		o := &cjsonObject{}
		for _, kv := range items {
			key, ok := starlark.AsString(kv[0])
			if !ok {
				key = kv[0].String()
			}
			if x, ok, err := j.toCJSON(kv[1], depth+1); err != nil {
				return nil, false, err
			} else if ok {
				o.keys, o.vals = append(o.keys, key), append(o.vals, x)
			}
		}
		return o, true, nil
	case starlark.Indexable: // list, tuple
		if v.Len() == 0 {
			return j.empty(), true, nil
		}
		arr := []cjson{}
		for i := range v.Len() {
			if x, ok, err := j.toCJSON(v.Index(i), depth+1); err != nil {
				return nil, false, err
			} else if ok {
				arr = append(arr, x)
			}
		}
		return arr, true, nil
	}
	return nil, false, nil
}

func (j *jsonObject) empty() cjson {
	if j.emptyObject {
		return &cjsonObject{}
	}
	return []cjson{}
}

// printCJSON is cJSON_Print (format) or cJSON_PrintUnformatted.
func printCJSON(b *strings.Builder, v cjson, format bool, depth int) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case float64:
		b.WriteString(cjsonNumber(v))
	case string:
		b.WriteString(cjsonString(v))
	case []cjson:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
				if format {
					b.WriteByte(' ')
				}
			}
			printCJSON(b, x, format, depth+1)
		}
		b.WriteByte(']')
	case *cjsonObject:
		b.WriteByte('{')
		if format {
			b.WriteByte('\n')
		}
		for i, k := range v.keys {
			if format {
				b.WriteString(strings.Repeat("\t", depth+1))
			}
			b.WriteString(cjsonString(k))
			b.WriteByte(':')
			if format {
				b.WriteByte('\t')
			}
			printCJSON(b, v.vals[i], format, depth+1)
			if i < len(v.keys)-1 {
				b.WriteByte(',')
			}
			if format {
				b.WriteByte('\n')
			}
		}
		if format {
			b.WriteString(strings.Repeat("\t", depth))
		}
		b.WriteByte('}')
	}
}

// cjsonNumber is cJSON's print_number: %1.15g, or %1.17g when that does
// not read back as the same double; null for NaN and infinities.
func cjsonNumber(d float64) string {
	if math.IsNaN(d) || math.IsInf(d, 0) {
		return "null"
	}
	s := strconv.FormatFloat(d, 'g', 15, 64)
	if back, err := strconv.ParseFloat(s, 64); err != nil || back != d {
		s = strconv.FormatFloat(d, 'g', 17, 64)
	}
	return s
}

// cjsonString is cJSON's print_string_ptr: ", \ and the control characters
// escaped, everything else as it is.
func cjsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 32 {
				fmt.Fprintf(&b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// encode(table): the text of a dict, list or tuple, as JSON:encode.
func (j *jsonObject) encode(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "table", &v); err != nil {
		return nil, err
	}
	text, err := j.encodeValue(fn, v)
	if err != nil {
		return nil, err
	}
	return starlark.String(text), nil
}

func (j *jsonObject) encodeValue(fn *starlark.Builtin, v starlark.Value) (string, error) {
	switch v.(type) {
	case *starlark.Dict, *starlark.List, starlark.Tuple:
	default:
		return "", fmt.Errorf("%s: got %s, want a dict, list or tuple (a Lua table)", fn.Name(), v.Type())
	}
	c, _, err := j.toCJSON(v, 0)
	if err != nil {
		return "", fmt.Errorf("%s: %v", fn.Name(), err)
	}
	var b strings.Builder
	printCJSON(&b, c, !j.unformatted, 0)
	return b.String(), nil
}

// decode(text): as JSON:decode (cJSON2LuaTable): an object is a dict, an
// array a list; numbers are floats; null members, and arrays and nulls
// inside arrays, are left out; a text that is not JSON gives None, a JSON
// scalar an empty dict.
func (j *jsonObject) decode(_ *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text string
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "text", &text); err != nil {
		return nil, err
	}
	return decodeCJSON(text), nil
}

func decodeCJSON(text string) starlark.Value {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	v, err := decodeOrdered(d)
	if err != nil {
		return starlark.None
	}
	return toLuaTable(v)
}

// toLuaTable is cJSON2LuaTable.
func toLuaTable(v any) starlark.Value {
	switch v := v.(type) {
	case []any:
		l := []starlark.Value{}
		for _, x := range v {
			switch x.(type) {
			case nil, []any: // cJSON2LuaTable skips them in arrays
				continue
			}
			l = append(l, luaValue(x))
		}
		return starlark.NewList(l)
	case orderedObject:
		d := starlark.NewDict(len(v))
		for _, m := range v {
			if m.v == nil {
				continue
			}
			_ = d.SetKey(starlark.String(m.k), luaValue(m.v))
		}
		return d
	}
	return starlark.NewDict(0)
}

func luaValue(x any) starlark.Value {
	switch x := x.(type) {
	case string:
		return starlark.String(x)
	case json.Number:
		f, _ := x.Float64()
		return starlark.Float(f)
	case bool:
		return starlark.Bool(x)
	}
	return toLuaTable(x)
}

// execute(json): the switch's JSON api (switch_json_api_execute) for a
// request given as text or as a dict: its response, decoded as decode
// does; None for an unknown command.
func (j *jsonObject) execute(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	resp, ok, err := j.run(thread, fn, args, kwargs)
	if err != nil || !ok {
		return starlark.None, err
	}
	return toLuaTable(resp), nil
}

// execute2(json): as execute, the response as text (compact unless
// return_unformatted_json(False)).
func (j *jsonObject) execute2(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	resp, ok, err := j.run(thread, fn, args, kwargs)
	if err != nil {
		return nil, err
	}
	if !ok {
		return starlark.String(""), nil
	}
	var b strings.Builder
	printCJSON(&b, fromAny(resp), !j.unformatted, 0)
	return starlark.String(b.String()), nil
}

// run sends the request with the `json` api and returns the response
// member of its answer (ok false: the switch knew no such command).
func (j *jsonObject) run(thread *starlark.Thread, fn *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (any, bool, error) {
	var req starlark.Value
	if err := starlark.UnpackArgs(fn.Name(), args, kwargs, "json", &req); err != nil {
		return nil, false, err
	}
	var text string
	if s, ok := req.(starlark.String); ok {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, false, nil // cJSON_Parse failed: nothing runs
		}
		compact, _ := json.Marshal(v) // one line for the api command
		text = string(compact)
	} else {
		saved := j.unformatted
		j.unformatted = true
		t, err := j.encodeValue(fn, req)
		j.unformatted = saved
		if err != nil {
			return nil, false, err
		}
		text = t
	}
	c := CallOf(thread)
	out, err := j.env.api(c, "json "+text)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", fn.Name(), err)
	}
	d := json.NewDecoder(strings.NewReader(out))
	d.UseNumber()
	answer, err := decodeOrdered(d)
	if err != nil {
		return nil, false, fmt.Errorf("%s: the switch answered %q", fn.Name(), strings.TrimSpace(out))
	}
	o, _ := answer.(orderedObject)
	var resp any
	var message string
	for _, m := range o {
		switch m.k {
		case "response":
			resp = m.v
		case "message":
			message, _ = m.v.(string)
		}
	}
	if message == "Invalid request or non-existant command" {
		return nil, false, nil
	}
	return resp, true, nil
}

// fromAny turns a decoded answer back into a cjson value, members in order.
func fromAny(v any) cjson {
	switch v := v.(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case []any:
		arr := []cjson{}
		for _, x := range v {
			arr = append(arr, fromAny(x))
		}
		return arr
	case orderedObject:
		o := &cjsonObject{}
		for _, m := range v {
			o.keys, o.vals = append(o.keys, m.k), append(o.vals, fromAny(m.v))
		}
		return o
	}
	return v
}

// orderedObject is a JSON object with its members in the text's order.
type orderedObject []member

type member struct {
	k string
	v any
}

// decodeOrdered reads one JSON value: objects as orderedObject, arrays as
// []any, numbers as json.Number.
func decodeOrdered(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := orderedObject{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeOrdered(d)
				if err != nil {
					return nil, err
				}
				o = append(o, member{k, v})
			}
			_, err := d.Token() // }
			return o, err
		case '[':
			a := []any{}
			for d.More() {
				v, err := decodeOrdered(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token() // ]
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}
