/* vm.c - expr_run: the stack machine over eng_value that runs compiled expressions. It never
 * allocates (the stack is the caller's, sized by the compiler) and never compares names. */
#include "expr_impl.h"

#include <assert.h>

/* One body for both entry points; `reads` NULL for the plain run (the branch costs less than a
 * second copy of the loop would cost in upkeep). */
_Static_assert(OP_LE_SK - OP_LT_SK == OP_LE - OP_LT && OP_GT_SK - OP_LT_SK == OP_GT - OP_LT &&
                   OP_GE_SK - OP_LT_SK == OP_GE - OP_LT,
               "the *_SK comparisons map to LT..GE by offset");

/* A fact as the VM sees it: NaN and infinities never enter a computation. */
static inline eng_value load(const eng_value *slots, int slot)
{
    eng_value v = slots[slot];
    if (v.type == ENG_NUM && !isfinite(v.as.num))
        v = eng_null();
    return v;
}

static inline eng_value run(const expr_prog *p, const eng_value *slots, eng_value *stack,
                            bool *reads)
{
    const expr_insn *code = p->code;
    const int n = p->ncode;
    eng_value *sp = stack; /* next free cell */
    for (int pc = 0; pc < n; pc++) {
        const expr_insn in = code[pc];
        switch (in.op) {
        case OP_CONST:
            *sp++ = p->consts[in.a];
            break;
        case OP_LOAD:
            if (reads)
                reads[in.b] = true;
            *sp++ = load(slots, in.a);
            break;
        case OP_LT_SK:
        case OP_LE_SK:
        case OP_GT_SK:
        case OP_GE_SK:
            if (reads)
                reads[in.c] = true;
            *sp++ = val_compare((expr_op)(OP_LT + (in.op - OP_LT_SK)), load(slots, in.a),
                                p->consts[in.b]);
            break;
        case OP_EQ_SK:
        case OP_NE_SK:
            if (reads)
                reads[in.c] = true;
            *sp++ = val_equal(in.op == OP_NE_SK, load(slots, in.a), p->consts[in.b]);
            break;
        case OP_NEG:
            sp[-1] = val_neg(sp[-1]);
            break;
        case OP_NOT:
            sp[-1] = val_not(sp[-1]);
            break;
        case OP_ADD:
        case OP_SUB:
        case OP_MUL:
        case OP_DIV:
            sp[-2] = val_arith(in.op, sp[-2], sp[-1]);
            sp--;
            break;
        case OP_EQ:
        case OP_NE:
            sp[-2] = val_equal(in.op == OP_NE, sp[-2], sp[-1]);
            sp--;
            break;
        case OP_LT:
        case OP_LE:
        case OP_GT:
        case OP_GE:
            sp[-2] = val_compare(in.op, sp[-2], sp[-1]);
            sp--;
            break;
        case OP_IN:
            sp[-1] = val_in(sp[-1], p->consts + in.a, in.b);
            break;
        case OP_CALL:
            sp -= in.a;
            *sp = val_call((expr_fn)in.b, sp, in.a);
            sp++;
            break;
        case OP_AND:
            sp[-2] = val_and(sp[-2], sp[-1]);
            sp--;
            break;
        case OP_OR:
            sp[-2] = val_or(sp[-2], sp[-1]);
            sp--;
            break;
        case OP_JFALSE:
            if (sp[-1].type == ENG_BOOL && !sp[-1].as.b)
                pc = in.a - 1;
            break;
        case OP_JTRUE:
            if (sp[-1].type == ENG_BOOL && sp[-1].as.b)
                pc = in.a - 1;
            break;
        case OP_JCOND: {
            eng_value c = *--sp;
            if (c.type != ENG_BOOL) {
                *sp++ = eng_null();
                pc = in.b - 1;
            } else if (!c.as.b) {
                pc = in.a - 1;
            }
            break;
        }
        case OP_JUMP:
            pc = in.a - 1;
            break;
        case OP_EXPECT:
            if (sp[-1].type != (eng_type)in.a)
                sp[-1] = eng_null();
            break;
        case OP__COUNT:
        default:
            assert(0 && "bad opcode");
            break;
        }
        assert(sp - stack <= p->stack_size);
    }
    assert(sp - stack == 1);
    return stack[0];
}

eng_value expr_run(const expr_prog *p, const eng_value *slots, eng_value *stack)
{
    return run(p, slots, stack, NULL);
}

eng_value expr_run_traced(const expr_prog *p, const eng_value *slots, eng_value *stack, bool *reads)
{
    return run(p, slots, stack, reads);
}
