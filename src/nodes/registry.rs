//! The registry of node kinds: from one list (in `src/nodes/mod.rs`) it declares each kind's
//! module and makes [`NodeKind`](super::NodeKind), the enum a blueprint's RON names, whose every
//! question goes to the kind's own [`Kind`](super::Kind) implementation.

/// Declares the kinds' modules and the `NodeKind` enum from `Variant(module::Params)` lines.
macro_rules! node_kinds {
    ($( $(#[$doc:meta])* $variant:ident($module:ident::$params:ident), )*) => {
        $( pub mod $module; )*

        /// A node kind with its parameters, as written in a blueprint. It dereferences to the
        /// kind's [`Kind`](crate::nodes::Kind), which answers everything about it.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        pub enum NodeKind {
            $( $(#[$doc])* $variant($module::$params), )*
        }

        impl NodeKind {
            /// A new node of each kind with default parameters, in the palette's order.
            pub fn palette() -> Vec<NodeKind> {
                vec![$( NodeKind::$variant(Default::default()), )*]
            }
        }

        impl std::ops::Deref for NodeKind {
            type Target = dyn $crate::nodes::Kind;

            fn deref(&self) -> &Self::Target {
                match self {
                    $( NodeKind::$variant(p) => p, )*
                }
            }
        }

        impl std::ops::DerefMut for NodeKind {
            fn deref_mut(&mut self) -> &mut Self::Target {
                match self {
                    $( NodeKind::$variant(p) => p, )*
                }
            }
        }
    };
}

pub(super) use node_kinds;
