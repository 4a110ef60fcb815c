// Command argocd-health runs an Argo CD resource health script against one
// object on gopher-lua, the Lua VM Argo CD embeds, set up as Argo CD sets it up
// for a health check from argocd-cm (util/lua in Argo CD): no standard library
// but package, base and table; `require("os")` gives only os.time and os.date;
// the object is the global `obj`; one second to finish; the script must return
// a table whose status is one of Argo CD's health codes.
//
// Usage: argocd-health SCRIPT < object.json
// Prints {"status": ..., "message": ...} as one JSON line; exits 1 when the
// script fails to load or run, or returns something Argo CD would refuse.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Argo CD's health codes; any other status becomes Unknown with this message.
var healthCodes = map[string]bool{"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true}

const invalidHealthStatus = "Lua returned an invalid health status"

type health struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: argocd-health SCRIPT < object.json")
		os.Exit(2)
	}
	h, err := run(os.Args[1], os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(h)
	fmt.Println(string(out))
}

func run(scriptFile string, objectJSON io.Reader) (health, error) {
	script, err := os.ReadFile(scriptFile)
	if err != nil {
		return health{}, err
	}
	var obj map[string]any
	if err := json.NewDecoder(objectJSON).Decode(&obj); err != nil {
		return health{}, fmt.Errorf("object: %w", err)
	}
	L := newState()
	defer L.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(string(script)); err != nil {
		return health{}, err
	}
	ret, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return health{}, fmt.Errorf("expect table output from Lua script, not %s", L.Get(-1).Type())
	}
	// Through JSON, as Argo CD decodes it: a status or message that is not a string is an error.
	raw, err := json.Marshal(fromLua(ret))
	if err != nil {
		return health{}, err
	}
	var h health
	if err := json.Unmarshal(raw, &h); err != nil {
		return health{}, fmt.Errorf("the script's result %s: %w", raw, err)
	}
	if !healthCodes[h.Status] {
		return health{Status: "Unknown", Message: invalidHealthStatus}, nil
	}
	return h, nil
}

// newState opens what Argo CD opens for a health script from argocd-cm.
func newState() *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			panic(err)
		}
	}
	// os.time and os.date, gopher-lua's own, taken from a state that opened the whole os library.
	full := lua.NewState()
	defer full.Close()
	osLib := full.GetGlobal(lua.OsLibName).(*lua.LTable)
	safe := map[string]lua.LGFunction{}
	for _, name := range []string{"time", "date"} {
		safe[name] = osLib.RawGetString(name).(*lua.LFunction).GFunction
	}
	L.PreloadModule(lua.OsLibName, func(L *lua.LState) int {
		L.Push(L.SetFuncs(L.NewTable(), safe))
		return 1
	})
	return L
}

// toLua builds the Lua value of a decoded JSON value, as Argo CD builds `obj`.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case []any:
		t := L.CreateTable(len(x), 0)
		for _, item := range x {
			t.Append(toLua(L, item))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, item := range x {
			t.RawSetH(lua.LString(k), toLua(L, item))
		}
		return t
	}
	return lua.LNil
}

// fromLua is a Lua value as JSON sees it: a table with an array part is an array.
func fromLua(v lua.LValue) any {
	switch x := v.(type) {
	case lua.LBool:
		return bool(x)
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		return string(x)
	case *lua.LTable:
		if x.MaxN() > 0 {
			arr := make([]any, 0, x.MaxN())
			for i := 1; i <= x.MaxN(); i++ {
				arr = append(arr, fromLua(x.RawGetInt(i)))
			}
			return arr
		}
		m := map[string]any{}
		x.ForEach(func(k, val lua.LValue) {
			m[k.String()] = fromLua(val)
		})
		return m
	}
	return nil
}
