//! `select!`: Go's `select` statement.

/// Waits on several channel operations and runs the arm of the one that
/// happens, as Go's `select`.
///
/// ```text
/// select! {
///     recv(ch) -> v => { ... },   // v: Option<T>; None when ch is closed
///     send(ch, value) => { ... },
///     default => { ... },         // optional: never block
/// }
/// ```
///
/// `ch` is a `&Chan<T>`, `&Receiver<T>` (receive) or `&Sender<T>` (send).
/// Operands and send values are evaluated once, in source order, on entry.
/// If several cases are ready, one is chosen uniformly at random; with
/// `default` the select never blocks; a nil channel's case is never chosen;
/// a select with no ready case and no `default` waits, forever if every
/// case is on a nil channel. Arms are `=> expr,` or `=> { block }`.
///
/// # Examples
///
/// ```
/// use gosync::chan::Chan;
/// use gosync::select;
///
/// let (data, quit) = (Chan::new(1), Chan::<()>::new(0));
/// data.send(7);
/// let got = select! {
///     recv(&data) -> v => v,
///     recv(&quit) -> _ => None,
/// };
/// assert_eq!(got, Some(7));
///
/// // With `default`, a select never waits.
/// let empty = select! {
///     recv(&data) -> v => v,
///     default => None,
/// };
/// assert_eq!(empty, None);
/// ```
///
/// # Panics
///
/// "send on closed channel" if the chosen case sends on a closed channel.
#[macro_export]
macro_rules! select {
    ($($arms:tt)*) => {
        $crate::__select_parse!(@arms [] () $($arms)*)
    };
}

/// Parses `select!`'s arms. Each arm mints a fresh `case` identifier
/// (macro hygiene keeps every expansion's apart), which later steps use to
/// bind the arm's case object.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // recv(ch) -> v => { block } [,]
    (@arms [$($cases:tt)*] $default:tt recv($ch:expr) -> $v:pat => $body:block $(, $($rest:tt)*)?) => {
        $crate::__select_parse!(@arms [$($cases)* (recv case operand ($ch) ($v) ($body))] $default $($($rest)*)?)
    };
    // recv(ch) -> v => expr, ...
    (@arms [$($cases:tt)*] $default:tt recv($ch:expr) -> $v:pat => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)* (recv case operand ($ch) ($v) ($body))] $default $($rest)*)
    };
    // recv(ch) -> v => expr (last)
    (@arms [$($cases:tt)*] $default:tt recv($ch:expr) -> $v:pat => $body:expr) => {
        $crate::__select_parse!(@arms [$($cases)* (recv case operand ($ch) ($v) ($body))] $default)
    };
    // send(ch, value) => { block } [,]
    (@arms [$($cases:tt)*] $default:tt send($ch:expr, $val:expr) => $body:block $(, $($rest:tt)*)?) => {
        $crate::__select_parse!(@arms [$($cases)* (send case operand ($ch) ($val) ($body))] $default $($($rest)*)?)
    };
    // send(ch, value) => expr, ...
    (@arms [$($cases:tt)*] $default:tt send($ch:expr, $val:expr) => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@arms [$($cases)* (send case operand ($ch) ($val) ($body))] $default $($rest)*)
    };
    // send(ch, value) => expr (last)
    (@arms [$($cases:tt)*] $default:tt send($ch:expr, $val:expr) => $body:expr) => {
        $crate::__select_parse!(@arms [$($cases)* (send case operand ($ch) ($val) ($body))] $default)
    };
    // default => { block } [,]
    (@arms $cases:tt () default => $body:block $(, $($rest:tt)*)?) => {
        $crate::__select_parse!(@arms $cases ($body) $($($rest)*)?)
    };
    // default => expr, ...
    (@arms $cases:tt () default => $body:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@arms $cases ($body) $($rest)*)
    };
    // default => expr (last)
    (@arms $cases:tt () default => $body:expr) => {
        $crate::__select_parse!(@arms $cases ($body))
    };
    (@arms $cases:tt ($($d:tt)+) default $($rest:tt)*) => {
        ::core::compile_error!("select! has more than one default arm")
    };
    // All arms parsed.
    (@arms [$($cases:tt)*] $default:tt) => {
        $crate::__select_bind!([] $default $($cases)*)
    };
    (@arms $cases:tt $default:tt $($rest:tt)+) => {
        ::core::compile_error!(
            "select! arms are `recv(ch) -> v => ...`, `send(ch, value) => ...` or `default => ...`"
        )
    };
}

/// Evaluates the operands in source order, binding each case object.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_bind {
    // `let operand = &expr;` extends a temporary operand's life to the end
    // of the select, so `recv(&time::after(d))` works as Go's idiom does.
    ([$($bound:tt)*] $default:tt (recv $c:ident $o:ident ($ch:expr) ($v:pat) ($body:expr)) $($rest:tt)*) => {{
        let $o = $ch;
        let mut $c = $crate::chan::__private::recv($o);
        $crate::__select_bind!([$($bound)* (recv $c ($v) ($body))] $default $($rest)*)
    }};
    ([$($bound:tt)*] $default:tt (send $c:ident $o:ident ($ch:expr) ($val:expr) ($body:expr)) $($rest:tt)*) => {{
        let $o = $ch;
        let mut $c = $crate::chan::__private::send($o, $val);
        $crate::__select_bind!([$($bound)* (send $c ($body))] $default $($rest)*)
    }};
    ([$(($kind:ident $c:ident $($x:tt)*))*] ()) => {{
        let selected = $crate::chan::__private::select(
            &mut [$(&mut $c as &mut dyn $crate::chan::__private::Case),*],
            $crate::chan::__private::Block::Forever,
        );
        match selected {
            $crate::chan::__private::Selected::SendOnClosed(_) => {
                ::core::panic!("send on closed channel")
            }
            $crate::chan::__private::Selected::Nothing => {
                ::core::unreachable!("a select without default waits")
            }
            $crate::chan::__private::Selected::Case(_) => {
                $(if $c.happened() { $crate::__select_arm!($kind $c $($x)*) } else)* {
                    ::core::unreachable!("the chosen case happened")
                }
            }
        }
    }};
    ([$(($kind:ident $c:ident $($x:tt)*))*] ($default:expr)) => {{
        let selected = $crate::chan::__private::select(
            &mut [$(&mut $c as &mut dyn $crate::chan::__private::Case),*],
            $crate::chan::__private::Block::No,
        );
        match selected {
            $crate::chan::__private::Selected::SendOnClosed(_) => {
                ::core::panic!("send on closed channel")
            }
            $crate::chan::__private::Selected::Nothing => $default,
            $crate::chan::__private::Selected::Case(_) => {
                $(if $c.happened() { $crate::__select_arm!($kind $c $($x)*) } else)* {
                    ::core::unreachable!("the chosen case happened")
                }
            }
        }
    }};
}

/// The body of the arm whose case happened.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_arm {
    (recv $c:ident ($v:pat) ($body:expr)) => {{
        let $v = $c.into_result();
        $body
    }};
    (send $c:ident ($body:expr)) => {{
        ::core::mem::drop($c);
        $body
    }};
}
