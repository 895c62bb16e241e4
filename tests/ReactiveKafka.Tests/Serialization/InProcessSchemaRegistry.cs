using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ReactiveKafka.Tests.Serialization;

/// <summary>
/// A Confluent Schema Registry with only the endpoints the serdes call, over real HTTP on loopback: register a schema
/// under a subject (<c>POST /subjects/{subject}/versions</c>, the same schema gets the same id), look one up under a
/// subject (<c>POST /subjects/{subject}</c>), and read one by id (<c>GET /schemas/ids/{id}</c>); the associations API
/// that newer registries have answers 404, as an older registry does. Anything else answers 404 with the registry's
/// error body and is kept in <see cref="Unexpected"/>.
/// </summary>
internal sealed class InProcessSchemaRegistry : IAsyncDisposable
{
    private const string ContentType = "application/vnd.schemaregistry.v1+json";

    private readonly HttpListener _listener = new();
    private readonly Lock _lock = new();
    private readonly List<(string Subject, string Schema, string Type, int Id)> _schemas = [];
    private readonly Task _serving;

    private InProcessSchemaRegistry(int port)
    {
        Url = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Url + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>Every request served, as <c>METHOD path</c> (the query left out).</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Requests for endpoints this registry does not have.</summary>
    public ConcurrentQueue<string> Unexpected { get; } = new();

    public static InProcessSchemaRegistry Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new InProcessSchemaRegistry(port);
    }

    /// <summary>The id registered for <paramref name="subject"/>, or null.</summary>
    public int? IdOf(string subject)
    {
        lock (_lock)
        {
            return _schemas.Where(s => s.Subject == subject).Select(s => (int?)s.Id).FirstOrDefault();
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            try
            {
                await AnswerAsync(context);
            }
            catch (Exception error) when (error is HttpListenerException or IOException)
            {
                // The client went away: nothing to answer.
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath.TrimEnd('/');
        var call = $"{request.HttpMethod} {path}";
        Requests.Enqueue(call);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        JsonNode? body = null;
        if (request.HasEntityBody)
        {
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            body = JsonNode.Parse(await reader.ReadToEndAsync());
        }

        var (status, answer) = (request.HttpMethod, segments) switch
        {
            ("POST", ["subjects", var subject, "versions"]) => Register(subject, body!),
            ("POST", ["subjects", var subject]) => Lookup(subject, body!),
            ("GET", ["schemas", "ids", var id]) => ById(int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)),

            // Serdes 2.16 first ask which subject a topic is associated with (a newer registry API); a registry without
            // it answers 404 and they fall back to the topic name strategy, as they do here.
            ("GET", ["associations", ..]) => (404, new JsonObject { ["error_code"] = 40401, ["message"] = "No associations API" }),
            _ => NotFound(call),
        };
        var bytes = Encoding.UTF8.GetBytes(answer.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private (int, JsonNode) Register(string subject, JsonNode body)
    {
        var schema = body["schema"]!.GetValue<string>();
        var type = body["schemaType"]?.GetValue<string>() ?? "AVRO";
        lock (_lock)
        {
            var existing = _schemas.FirstOrDefault(s => s.Schema == schema && s.Type == type);
            var id = existing.Schema is null ? _schemas.Count + 1 : existing.Id;
            if (!_schemas.Any(s => s.Subject == subject && s.Id == id))
            {
                _schemas.Add((subject, schema, type, id));
            }

            return (200, Registered(subject, schema, type, id));
        }
    }

    private (int, JsonNode) Lookup(string subject, JsonNode body)
    {
        var schema = body["schema"]!.GetValue<string>();
        lock (_lock)
        {
            var found = _schemas.FirstOrDefault(s => s.Subject == subject && s.Schema == schema);
            return found.Schema is null
                ? (404, new JsonObject { ["error_code"] = 40403, ["message"] = "Schema not found" })
                : (200, Registered(subject, found.Schema, found.Type, found.Id));
        }
    }

    private (int, JsonNode) ById(int id)
    {
        lock (_lock)
        {
            var found = _schemas.FirstOrDefault(s => s.Id == id);
            return found.Schema is null
                ? (404, new JsonObject { ["error_code"] = 40403, ["message"] = "Schema not found" })
                : (200, new JsonObject { ["schema"] = found.Schema, ["schemaType"] = found.Type });
        }
    }

    private (int, JsonNode) NotFound(string call)
    {
        Unexpected.Enqueue(call);
        return (404, new JsonObject { ["error_code"] = 40401, ["message"] = "Not served by the test registry: " + call });
    }

    private JsonObject Registered(string subject, string schema, string type, int id)
    {
        var version = _schemas.Count(s => s.Subject == subject && s.Id <= id);
        return new JsonObject { ["subject"] = subject, ["id"] = id, ["version"] = Math.Max(1, version), ["schema"] = schema, ["schemaType"] = type };
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
