package builtins

import "testing"

// TestJSONObject pins freeswitch.JSON() to mod_lua's JSON object: cJSON's
// formatting and numbers, the empty-table rule, and cJSON2LuaTable's
// decoding (floats, nulls and nested arrays left out).
func TestJSONObject(t *testing.T) {
	runCases(t, Options{}, []scriptCase{
		{name: "compact by default, as on the switch", src: `result = freeswitch.JSON().encode({"a": 1.5, "b": [1, {}]})`,
			want: `"{\"a\":1.5,\"b\":[1,{}]}"`},
		{name: "formatted object", src: `
j = freeswitch.JSON()
j.return_unformatted_json(False)
result = j.encode({"a": 1.5, "b": "x\ny"})`,
			want: `"{\n\t\"a\":\t1.5,\n\t\"b\":\t\"x\\ny\"\n}"`},
		{name: "formatted array and nesting", src: `
j = freeswitch.JSON()
j.return_unformatted_json(False)
result = j.encode({"k": [1, "x", True, {"z": 0.1}]})`,
			want: `"{\n\t\"k\":\t[1, \"x\", true, {\n\t\t\t\"z\":\t0.1\n\t\t}]\n}"`},
		{name: "empty table", src: `
j = freeswitch.JSON()
j.return_unformatted_json(False)
a = j.encode({})
j.encode_empty_table_as_object(False)
result = (a, j.encode({}), j.encode({"e": {}}))`, want: `("{\n}", "[]", "{\n\t\"e\":\t[]\n}")`},
		{name: "unformatted", src: `
j = freeswitch.JSON()
j.return_unformatted_json(True)
result = j.encode({"k": [1, 2.25, 1e20, None], 1: "one"})`, want: `"{\"k\":[1,2.25,1e+20,null],\"1\":\"one\"}"`},
		{name: "a dict from 1 is an array", src: `result = freeswitch.JSON().encode({1: "a", 2: "b"})`, want: `"[\"a\",\"b\"]"`},
		{name: "decode", src: `
d = freeswitch.JSON().decode('{"a": [1, "b", null, [2], {"c": 3}], "n": null, "t": true}')
result = d`, want: `{"a": [1.0, "b", {"c": 3.0}], "t": True}`},
		{name: "decode scalar and garbage", src: `
j = freeswitch.JSON()
result = (j.decode("3"), j.decode("nope"))`, want: `({}, None)`},
		{name: "encode wants a table", src: `freeswitch.JSON().encode("x")`, wantErr: "JSON.encode: got string, want a dict, list or tuple"},
	})
}
