//! The pool's connections, each with the statements it has prepared: a
//! statement sent as text is parsed and planned by the server, and costs
//! the synchronous client a second round trip, every time; a push sends a
//! dozen, a pull and a token check one each. Prepared once per
//! connection, they are only bound and run after that.

use r2d2_postgres::postgres::{Client, Error, GenericClient, NoTls, Statement};
use r2d2_postgres::PostgresConnectionManager;
use std::collections::HashMap;

/// The statements a connection has prepared, by their text.
#[derive(Default)]
pub(crate) struct Statements(HashMap<String, Statement>);

impl Statements {
    /// `sql` prepared on `client`'s connection (once; any transaction of
    /// that connection may run it).
    pub(super) fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &str,
    ) -> Result<Statement, Error> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.0.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// A pooled connection.
pub(crate) struct Connection {
    pub client: Client,
    pub statements: Statements,
}

impl std::ops::Deref for Connection {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// r2d2's PostgreSQL manager, with each connection's statements beside it.
pub(crate) struct Manager(pub PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = Error;

    fn connect(&self) -> Result<Connection, Error> {
        Ok(Connection {
            client: self.0.connect()?,
            statements: Statements::default(),
        })
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}
