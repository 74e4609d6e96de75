//! The context oracle on a fixture project indexed for real: the code index, git
//! history (a real repository made with git), build records and the keyword search
//! index in the embedded Qdrant engine.

mod fixture;
mod ranking;
