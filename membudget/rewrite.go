package membudget

import "go.starlark.net/syntax"

// The guards the rewrite calls are predeclared under the operator's own
// symbol: no Starlark identifier can be spelled "+", so a script can
// neither call a guard nor shadow one, and a failing operation's
// backtrace reads "Error in +: ...".
const (
	addName  = "+"
	iaddName = "+="
	mulName  = "*"
	modName  = "%"
	// A comprehension builds its result where no measurement can see it
	// (on the interpreter's operand stack) until it ends: [x for x in xs]
	// becomes end([item(x) for x in begin(xs)]), and item keeps each
	// element in a list the meter holds (and measures) until end.
	beginName = "[begin"
	itemName  = "[item"
	endName   = "[end"
)

// Rewrite changes f, before it is resolved, so that every operation that
// can build a large value from small operands asks the running thread's
// Meter first: the binary +, * and % operators (string, bytes, list and
// tuple concatenation and repetition, string formatting) become calls to
// the guards in Predeclared, and so do the augmented assignments +=, *=
// and %= whose target is a plain name (list += keeps its in-place
// meaning). + with a literal operand is left alone (it grows a value by
// a constant, which measurement sees; only x + y of two variables can
// double), as are % with a number on the right and * of two numbers. Augmented assignments to an index or a
// field (a[i] += s) are not rewritten; the periodic measurement sees
// what they build. Comprehensions keep the elements they have built so
// far where the measurement sees them.
//
// Rewrite must run before resolve (starlark.FileProgram), and the
// program must be run with Predeclared's names among its predeclared
// values.
func Rewrite(f *syntax.File) {
	stmts(f.Stmts)
}

func stmts(list []syntax.Stmt) {
	for _, s := range list {
		stmt(s)
	}
}

func stmt(s syntax.Stmt) {
	switch s := s.(type) {
	case *syntax.AssignStmt:
		expr(&s.RHS)
		if id, ok := s.LHS.(*syntax.Ident); ok && s.Op != syntax.EQ {
			if name := augmentedGuard(s.Op, s.RHS); name != "" {
				use := &syntax.Ident{NamePos: id.NamePos, Name: id.Name}
				s.RHS = call(name, s.OpPos, use, s.RHS)
				s.Op = syntax.EQ
			}
			return
		}
		expr(&s.LHS)
	case *syntax.DefStmt:
		params(s.Params)
		stmts(s.Body)
	case *syntax.ExprStmt:
		expr(&s.X)
	case *syntax.IfStmt:
		expr(&s.Cond)
		stmts(s.True)
		stmts(s.False)
	case *syntax.ForStmt:
		expr(&s.X)
		expr(&s.Vars)
		stmts(s.Body)
	case *syntax.WhileStmt:
		expr(&s.Cond)
		stmts(s.Body)
	case *syntax.ReturnStmt:
		if s.Result != nil {
			expr(&s.Result)
		}
	}
}

// params rewrites the default values of a def's or lambda's parameters.
func params(list []syntax.Expr) {
	for _, p := range list {
		if b, ok := p.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
			expr(&b.Y)
		}
	}
}

func exprs(list []syntax.Expr) {
	for i := range list {
		expr(&list[i])
	}
}

// expr rewrites the expression *e in place, children first.
func expr(e *syntax.Expr) {
	switch x := (*e).(type) {
	case *syntax.BinaryExpr:
		expr(&x.X)
		expr(&x.Y)
		if name := binaryGuard(x.Op, x.X, x.Y); name != "" {
			*e = call(name, x.OpPos, x.X, x.Y)
		}
	case *syntax.CallExpr:
		expr(&x.Fn)
		for i, a := range x.Args {
			if b, ok := a.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
				expr(&b.Y) // name=value: the name is not an expression
			} else {
				expr(&x.Args[i])
			}
		}
	case *syntax.Comprehension:
		expr(&x.Body)
		for _, c := range x.Clauses {
			switch c := c.(type) {
			case *syntax.ForClause:
				expr(&c.Vars)
				expr(&c.X)
			case *syntax.IfClause:
				expr(&c.Cond)
			}
		}
		if first, ok := x.Clauses[0].(*syntax.ForClause); ok {
			first.X = call(beginName, first.In, first.X)
			if entry, ok := x.Body.(*syntax.DictEntry); ok {
				entry.Key = call(itemName, syntax.Start(entry.Key), entry.Key)
				entry.Value = call(itemName, syntax.Start(entry.Value), entry.Value)
			} else {
				x.Body = call(itemName, syntax.Start(x.Body), x.Body)
			}
			*e = call(endName, x.Lbrack, x)
		}
	case *syntax.CondExpr:
		expr(&x.Cond)
		expr(&x.True)
		expr(&x.False)
	case *syntax.DictEntry:
		expr(&x.Key)
		expr(&x.Value)
	case *syntax.DictExpr:
		exprs(x.List)
	case *syntax.DotExpr:
		expr(&x.X)
	case *syntax.IndexExpr:
		expr(&x.X)
		expr(&x.Y)
	case *syntax.LambdaExpr:
		params(x.Params)
		expr(&x.Body)
	case *syntax.ListExpr:
		exprs(x.List)
	case *syntax.ParenExpr:
		expr(&x.X)
	case *syntax.SliceExpr:
		for _, p := range []*syntax.Expr{&x.X, &x.Lo, &x.Hi, &x.Step} {
			if *p != nil {
				expr(p)
			}
		}
	case *syntax.TupleExpr:
		exprs(x.List)
	case *syntax.UnaryExpr:
		if x.X != nil {
			expr(&x.X)
		}
	}
}

// binaryGuard names the guard for x op y, or "" when the operation
// cannot build a large value.
func binaryGuard(op syntax.Token, x, y syntax.Expr) string {
	switch op {
	case syntax.PLUS:
		// With a literal on either side, + grows a value by a constant:
		// the measurements see that; only x + x can double.
		if literal(x) || literal(y) {
			return ""
		}
		return addName
	case syntax.STAR:
		if number(x) && number(y) {
			return ""
		}
		return mulName
	case syntax.PERCENT:
		if number(x) || number(y) {
			return ""
		}
		return modName
	}
	return ""
}

// augmentedGuard names the guard for name op= y, or "".
func augmentedGuard(op syntax.Token, y syntax.Expr) string {
	switch op {
	case syntax.PLUS_EQ:
		if literal(y) {
			return ""
		}
		return iaddName
	case syntax.STAR_EQ:
		return mulName
	case syntax.PERCENT_EQ:
		if number(y) {
			return ""
		}
		return modName
	}
	return ""
}

// literal reports whether e is a literal: a number, string or bytes.
func literal(e syntax.Expr) bool {
	if x, ok := e.(*syntax.Literal); ok {
		return x != nil
	}
	return number(e)
}

// number reports whether e is an int or float literal (or a negated one).
func number(e syntax.Expr) bool {
	switch x := e.(type) {
	case *syntax.Literal:
		return x.Token == syntax.INT || x.Token == syntax.FLOAT
	case *syntax.UnaryExpr:
		return (x.Op == syntax.MINUS || x.Op == syntax.PLUS) && x.X != nil && number(x.X)
	case *syntax.ParenExpr:
		return number(x.X)
	}
	return false
}

// call is the call name(args...) at pos: at the operator for a guard,
// so that a failure points where the operation's own error would.
func call(name string, pos syntax.Position, args ...syntax.Expr) *syntax.CallExpr {
	return &syntax.CallExpr{
		Fn:     &syntax.Ident{NamePos: pos, Name: name},
		Lparen: pos,
		Args:   args,
		Rparen: pos,
	}
}
