using System.Net;
using System.Net.Sockets;

namespace ReactiveKafka.Broker.Network;

/// <summary>
/// Creates the listening socket: bound, listening, and failing with a <see cref="BrokerStartException"/> that names the
/// address when it cannot be had. Stateless.
/// </summary>
/// <remarks>
/// Address reuse as Kafka's JVM listener has it, <c>SO_REUSEADDR</c> alone on Unix: the port can be bound again while
/// connections of an earlier listener linger (TIME_WAIT after a restart, open connections while a paused listener
/// resumes), but never while another socket listens on it. The .NET runtime already sets exactly that on every TCP bind
/// on Unix. <see cref="SocketOptionName.ReuseAddress"/> must not be set: on Linux it adds <c>SO_REUSEPORT</c>, which
/// lets a second broker listen on the same port and clients reach either at random. On Windows the socket asks for
/// exclusive use, so no other program can bind the port over it.
/// </remarks>
internal static class ListenSocket
{
    private const int Backlog = 512;

    /// <summary>A socket bound to <paramref name="endpoint"/> and listening.</summary>
    /// <exception cref="BrokerStartException">The address is in use, not local, or not allowed.</exception>
    public static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (OperatingSystem.IsWindows())
            {
                socket.ExclusiveAddressUse = true;
            }

            socket.Bind(endpoint);
            socket.Listen(Backlog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new BrokerStartException($"Cannot listen on {Format(endpoint)}: {Reason(ex)}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Reason(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => "the address is already in use (another broker or program listens there; choose another port or stop it).",
        SocketError.AddressNotAvailable => "the address is not one of this machine's.",
        SocketError.AccessDenied => "permission denied (ports below 1024 need privileges).",
        _ => $"{ex.Message} ({ex.SocketErrorCode}).",
    };

    private static string Format(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : $"{endpoint.Address}:{endpoint.Port}";
}
