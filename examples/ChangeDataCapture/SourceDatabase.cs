using Microsoft.Data.Sqlite;

namespace ChangeDataCapture;

/// <summary>
/// The source: a SQLite database whose <c>customers</c> table is captured by triggers into a transactional outbox
/// (<c>cdc_outbox</c>): each insert, update or delete writes its before and after images in the same transaction as
/// the change itself, so a committed change always has its outbox row and a rolled-back one never does. (Primary keys
/// are not updated in this example; Debezium would emit a delete and a create for that.)
/// </summary>
public sealed class SourceDatabase(string path) : IDisposable
{
    private readonly SqliteConnection _connection = Open(path);

    public string Path { get; } = path;

    public void CreateSchema() => Execute("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
        CREATE TABLE cdc_outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            op TEXT NOT NULL,
            id INTEGER NOT NULL,
            before TEXT,
            after TEXT,
            ts_ms INTEGER NOT NULL);
        CREATE TRIGGER customers_insert AFTER INSERT ON customers BEGIN
            INSERT INTO cdc_outbox (op, id, before, after, ts_ms) VALUES ('c', NEW.id, NULL,
                json_object('id', NEW.id, 'name', NEW.name, 'email', NEW.email),
                CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
        END;
        CREATE TRIGGER customers_update AFTER UPDATE ON customers BEGIN
            INSERT INTO cdc_outbox (op, id, before, after, ts_ms) VALUES ('u', NEW.id,
                json_object('id', OLD.id, 'name', OLD.name, 'email', OLD.email),
                json_object('id', NEW.id, 'name', NEW.name, 'email', NEW.email),
                CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
        END;
        CREATE TRIGGER customers_delete AFTER DELETE ON customers BEGIN
            INSERT INTO cdc_outbox (op, id, before, after, ts_ms) VALUES ('d', OLD.id,
                json_object('id', OLD.id, 'name', OLD.name, 'email', OLD.email), NULL,
                CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
        END;
        """);

    public void Insert(int id, string name) =>
        Execute("INSERT INTO customers (id, name, email) VALUES ($id, $name, $email)", ("$id", id), ("$name", name), ("$email", $"{name.ToLowerInvariant()}@example.com"));

    public void Rename(int id, string name) =>
        Execute("UPDATE customers SET name = $name, email = $email WHERE id = $id", ("$id", id), ("$name", name), ("$email", $"{name.ToLowerInvariant()}@example.org"));

    public void Delete(int id) => Execute("DELETE FROM customers WHERE id = $id", ("$id", id));

    public SqliteConnection Connection => _connection;

    public void Dispose() => _connection.Dispose();

    internal static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }
}
