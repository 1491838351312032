//! Fuzzes the predicate parser: any UTF-8 text either fails with an error whose span lies in the
//! text, or parses to a tree that the printer writes back as text re-parsing to the same tree.

#![no_main]

use libfuzzer_sys::fuzz_target;
use llemc_grammar::{parse_predicate, print_expr, strip_spans};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_predicate(text) {
        Ok(mut expr) => {
            assert!(
                text.get(expr.span.range()).is_some(),
                "span out of the text"
            );
            let printed = print_expr(&expr);
            let mut back = match parse_predicate(&printed) {
                Ok(back) => back,
                Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
            };
            strip_spans(&mut expr);
            strip_spans(&mut back);
            assert_eq!(expr, back, "{text:?} printed as {printed:?}");
            assert_eq!(print_expr(&back), printed, "printing is not canonical");
        }
        Err(e) => {
            assert!(
                text.get(e.span.range()).is_some(),
                "error span out of the text: {e:?}"
            );
            assert!(!e.message.is_empty());
        }
    }
});
